"""Bad input: malformed JSON and wrong types get 400 with a precise message in OpenRouter's
envelope (and an X-Generation-Id whose record says what happened); an unknown model 400 (model_not_found); an
oversized body 413. Nothing reaches the provider.
"""
from sy_cluster import Cluster, http

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster(dp_extra=["--max-body-kb", "16"])
        base = c.mock_stats()["total"]

        cases = [
            (b'{"model": "mock/echo", "messages": [', "JSON"),
            ({"model": "mock/echo"}, "messages"),
            ({"model": "mock/echo", "messages": "hi"}, "messages"),
            ({"model": "mock/echo", "messages": [{"role": "wizard", "content": "x"}]}, "role"),
            ({"model": "mock/echo", "messages": MSGS, "stream": "yes"}, "stream"),
            ({"model": "mock/echo", "messages": MSGS, "temperature": "hot"}, "temperature"),
            ({"model": 42, "messages": MSGS}, "model"),
        ]
        for body, needle in cases:
            s, b, h = c.chat(dp, key, body)
            assert s == 400, (body, s, b)
            assert b["error"]["code"] == 400, b
            assert needle.lower() in b["error"]["message"].lower(), (needle, b)
            gid = h["X-Generation-Id"]
            g = c.generation(dp, key, gid)
            assert g["provider_responses"] == [] and g["total_cost"] == 0, g

        s, b, h = c.chat(dp, key, {"model": "nobody/nothing", "messages": MSGS})
        assert s == 400, (s, b)
        assert b["error"]["code"] == 400 and "nobody/nothing" in b["error"]["message"], b
        assert b["error"]["metadata"]["error_type"] == "model_not_found", b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["model"] == "nobody/nothing" and g["provider_responses"] == [], g

        big = {"model": "mock/echo", "messages": [{"role": "user", "content": "x" * 20000}]}
        s, b, _ = c.chat(dp, key, big)
        assert s == 413, (s, b)
        assert b["error"]["code"] == 413, b

        assert c.mock_stats()["total"] == base, "nothing reached the provider"
        s, b, _ = c.chat(dp, key, {"model": "mock/echo", "messages": MSGS})
        assert s == 200, (s, b)
    print("ok")


if __name__ == "__main__":
    main()
