"""Provider preferences as OpenRouter's SDKs send them: max_price values as numeric strings
(@openrouter/sdk types them so) filter exactly as numbers do; enforce_distillable_text: true is
refused with a 400 naming it (the catalog does not record distillation terms) and nothing
reaches a provider; preferred_min_throughput / preferred_max_latency are accepted and a
malformed one is refused naming it.
"""
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()  # mock/echo: $1/M prompt, $2/M completion
        base = {"model": "mock/echo", "messages": MSGS}

        for mp in ({"prompt": "1", "completion": "2"}, {"prompt": 1.5, "completion": "2.0"}):
            s, b, _ = c.chat(dp, key, dict(base, provider={"max_price": mp}))
            assert s == 200, (mp, s, b)
        s, b, _ = c.chat(dp, key, dict(base, provider={"max_price": {"prompt": "0.5"}}))
        assert s == 404, (s, b)
        assert "max_price (prompt $0.5/M tokens)" in b["error"]["message"], b
        s, b, _ = c.chat(dp, key, dict(base, provider={"max_price": {"prompt": "cheap"}}))
        assert s == 400 and "provider.max_price.prompt" in b["error"]["message"], (s, b)

        calls = c.mock_stats()
        s, b, _ = c.chat(dp, key, dict(base, provider={"enforce_distillable_text": True}))
        assert s == 400, (s, b)
        assert "provider.enforce_distillable_text" in b["error"]["message"], b
        assert c.mock_stats() == calls, "a refused request reached the provider"
        s, b, _ = c.chat(dp, key, dict(base, provider={"enforce_distillable_text": False}))
        assert s == 200, (s, b)

        s, b, _ = c.chat(dp, key, dict(base, provider={
            "preferred_min_throughput": {"p50": 10, "p90": 5}, "preferred_max_latency": 2}))
        assert s == 200, (s, b)
        s, b, _ = c.chat(dp, key, dict(base, provider={"preferred_max_latency": "soon"}))
        assert s == 400 and "provider.preferred_max_latency" in b["error"]["message"], (s, b)
        print("ok")


if __name__ == "__main__":
    main()
