"""Non-streaming chat completion, field by field against OpenRouter's shape (API-NOTES.md):
generation id format and header, provider/model, normalised finish reasons, usage with details
and cost from the price table, what the upstream received (provider model id, credential,
OpenRouter-only fields dropped), the /v1 alias, and the generation record.
"""
import math
import re
import time
from decimal import Decimal

from sy_cluster import Cluster, http

PROMPT_PRICE, COMPLETION_PRICE = Decimal("0.000001"), Decimal("0.000002")
TEXT = "What is the capital of France? Answer briefly."
GEN_ID = re.compile(r"^gen-(\d+)-[A-Za-z0-9]{20}$")


def expected_cost(prompt, completion, cached=0):
    return float((prompt - cached) * PROMPT_PRICE + completion * COMPLETION_PRICE)


def check_usage(u, prompt, completion, cached=0, reasoning=0):
    assert u["prompt_tokens"] == prompt, u
    assert u["completion_tokens"] == completion, u
    assert u["total_tokens"] == prompt + completion, u
    assert u["is_byok"] is False, u
    assert u["prompt_tokens_details"] == {"cached_tokens": cached, "cache_write_tokens": 0}, u
    assert u["completion_tokens_details"] == {"reasoning_tokens": reasoning}, u
    cd = u["cost_details"]
    assert cd["upstream_inference_cost"] is None, u  # a BYOK key's own bill only
    # the endpoint's prices split the cost: completion tokens, and the prompt's (cache) part
    assert math.isclose(cd["upstream_inference_completions_cost"], completion * 2e-6,
                        rel_tol=1e-9), u
    assert math.isclose(cd["upstream_inference_prompt_cost"] +
                        cd["upstream_inference_completions_cost"], u["cost"], rel_tol=1e-12), u
    assert u["cost"] > 0 and math.isclose(u["cost"], expected_cost(prompt, completion, cached),
                                          abs_tol=1e-12), u


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_model("mock/details", [("mock", "echo@usage=cached:4,reasoning=3")])
        c.wait_models(dp, key, "mock/details")
        prompt = math.ceil(len(TEXT) / 4)

        t0 = int(time.time())
        body = {"model": "mock/echo", "messages": [{"role": "user", "content": TEXT}],
                "user": "end-user-7", "usage": {"include": True}, "session_id": "s-1",
                "provider": {"allow_fallbacks": True}, "models": ["mock/echo"],
                "temperature": 0.2}
        s, b, h = c.chat(dp, key, body, {"HTTP-Referer": "https://app.example",
                                         "X-Title": "Example App"})
        assert s == 200, (s, b)
        assert h["Content-Type"].startswith("application/json"), h
        gid = h["X-Generation-Id"]
        m = GEN_ID.match(gid)
        assert m and abs(int(m.group(1)) - t0) <= 5, gid
        assert b["id"] == gid, b
        assert b["object"] == "chat.completion", b
        assert isinstance(b["created"], int) and abs(b["created"] - t0) <= 5, b
        assert b["model"] == "mock/echo" and b["provider"] == "Mock", b
        assert "system_fingerprint" in b, b
        ch = b["choices"]
        assert len(ch) == 1 and ch[0]["index"] == 0, ch
        assert ch[0]["message"]["role"] == "assistant", ch
        assert ch[0]["message"]["content"] == " ".join(f"tok{i}" for i in range(16)), ch
        assert ch[0]["finish_reason"] == "stop" and ch[0]["native_finish_reason"] == "stop", ch
        check_usage(b["usage"], prompt, 16)

        # what the provider received
        s, last, _ = http("GET", f"http://127.0.0.1:{c.mock_port}/mock/last")
        assert last["authorization"] == "Bearer mock-provider-secret", last
        up = last["body"]
        assert up["model"] == "echo", up
        assert up["temperature"] == 0.2, up
        for field in ("models", "provider", "usage", "session_id", "user"):
            assert field not in up, (field, up)

        # max_tokens: finish_reason length, through the /v1 alias
        s, b2, h2 = http("POST", dp.url + "/v1/chat/completions",
                         {"model": "mock/echo", "max_tokens": 4,
                          "messages": [{"role": "user", "content": TEXT}]},
                         {"Authorization": "Bearer " + key})
        assert s == 200, (s, b2)
        assert b2["choices"][0]["finish_reason"] == "length", b2
        assert b2["choices"][0]["native_finish_reason"] == "length", b2
        check_usage(b2["usage"], prompt, 4)
        assert h2["X-Generation-Id"] == b2["id"] != gid, (b2, gid)

        # cached and reasoning token details from the provider, cached tokens not billed twice
        s, b3, _ = c.chat(dp, key, {"model": "mock/details",
                                    "messages": [{"role": "user", "content": TEXT}]})
        assert s == 200, (s, b3)
        check_usage(b3["usage"], max(prompt, 4), 19, cached=4, reasoning=3)

        # the generation record
        g = c.generation(dp, key, gid)
        assert g["id"] == gid and g["model"] == "mock/echo", g
        assert g["provider_name"] == "Mock", g
        assert g["streamed"] is False and g["cancelled"] is False, g
        assert g["finish_reason"] == "stop" and g["native_finish_reason"] == "stop", g
        assert g["tokens_prompt"] == prompt and g["tokens_completion"] == 16, g
        assert math.isclose(g["total_cost"], b["usage"]["cost"], abs_tol=1e-12), g
        assert g["http_referer"] == "https://app.example", g
        assert isinstance(g["latency"], int) and g["latency"] >= 0, g
        pr = g["provider_responses"]
        assert len(pr) == 1 and pr[0]["provider"] == "mock" and pr[0]["status"] == 200, pr
        assert pr[0]["error_class"] == "", pr
        # another key's generation is not visible
        s, _, _ = http("GET", f"{dp.url}/api/v1/generation?id={gid}",
                       headers={"Authorization": "Bearer sk-sy-v1-" + "0" * 64})
        assert s == 401, s
    print("ok")


if __name__ == "__main__":
    main()
