"""OpenRouter's own `@openrouter/sdk` against the dataplane. Its response schemas are strict
(zod), so every step also checks our shapes: chat (system_fingerprint, usage.cost_details),
streaming, tool calls, models, a model's endpoints, providers, the key, a generation, errors as
the SDK's typed errors (404, 502), and a stream cut mid-answer ending in the in-band error chunk
with finish_reason "error". Skips when node/npm are missing.
"""
import json
import sys

from sy_cluster import Cluster, run_sdk_script


def ok(res, step):
    r = res[step]
    assert r["ok"], (step, r)
    return r["value"]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/cut", [("pa", "echo@fault=stream-cut")])
        c.add_model("f/down", [("pa", "echo@fault=503")])
        c.wait_models(dp, key, "f/cut", "f/down")
        res = run_sdk_script("openrouter_check.mjs", {
            "SY_BASE_URL": dp.url + "/api/v1", "SY_KEY": key, "SY_MODEL": "mock/echo",
            "SY_CUT_MODEL": "f/cut", "SY_DOWN_MODEL": "f/down"})
        if res is None:
            print("SKIP: node/npm not available")
            return
        sys.stderr.write(json.dumps(res, indent=1)[:4000] + "\n")
        tokens = " ".join(f"tok{i}" for i in range(16))

        chat = ok(res, "chat")
        assert chat["id"].startswith("gen-") and chat["object"] == "chat.completion", chat
        assert chat["model"] == "mock/echo" and chat["finish"] == "stop", chat
        assert chat["content"] == tokens, chat
        u = chat["usage"]
        assert u["completionTokens"] == 16 and u["cost"] > 0 and u["isByok"] is False, u
        assert u["costDetails"]["upstreamInferencePromptCost"] == 0, u

        st = ok(res, "stream")
        assert st["content"] == tokens and st["finish"] == "stop", st
        assert len(st["ids"]) == 1 and st["usage"]["completionTokens"] == 16, st

        tl = ok(res, "tools")
        assert tl["finish"] == "tool_calls" and tl["call"]["name"] == "get_weather", tl
        assert json.loads(tl["call"]["arguments"]) == {"location": "Paris"}, tl
        assert len(tl["streamed"]) == 1 and tl["streamed"][0]["id"], tl
        assert json.loads(tl["streamed"][0]["arguments"]) == {"location": "Paris"}, tl

        models = {m["id"]: m for m in ok(res, "models")}
        assert models["mock/echo"]["prompt"] == "0.000001", models
        assert models["mock/echo"]["context"] == 8192, models
        ep = ok(res, "endpoints")
        assert ep["id"] == "mock/echo" and ep["endpoints"] == ["Mock"], ep
        assert {"Mock", "Provider A"} <= set(ok(res, "providers")), res["providers"]
        k = ok(res, "key")
        assert k["label"].startswith("sk-sy-v1-") and k["isFreeTier"] is False, k

        g = ok(res, "generation")
        assert g["id"] == chat["id"] and g["model"] == "mock/echo", g
        assert g["providerName"] == "Mock" and g["tokensCompletion"] == 16, g
        assert g["streamed"] is False and g["totalCost"] == u["cost"], g

        r = res["unknown_model"]
        assert not r["ok"] and r["status"] == 404, r
        r = res["provider_down"]
        assert not r["ok"] and r["status"] == 502, r
        assert json.loads(r["body"])["error"]["metadata"]["provider_name"] == "Provider A", r
        cut = ok(res, "stream_cut")
        assert cut["finish"] == "error" and cut["error"]["code"] == 502, cut
        assert cut["content"] == " ".join(f"tok{i}" for i in range(8)), cut
    print("ok")


if __name__ == "__main__":
    main()
