"""OpenRouter's own `@openrouter/sdk` against the dataplane. Its response schemas are strict
(zod), so every step also checks our shapes: chat (system_fingerprint, usage.cost_details),
streaming, tool calls, models, a model's endpoints, providers, the key, a generation, errors as
the SDK's typed errors (400 model_not_found, 502), and a stream cut mid-answer ending in the in-band error chunk
with finish_reason "error".
"""
import json

from sy_cluster import Cluster, sdk_step


def main():
    with Cluster() as c:
        res = c.run_sdk_check("openrouter_check.mjs")
        tokens = " ".join(f"tok{i}" for i in range(16))

        chat = sdk_step(res, "chat")
        assert chat["id"].startswith("gen-") and chat["object"] == "chat.completion", chat
        assert chat["model"] == "mock/echo" and chat["finish"] == "stop", chat
        assert chat["content"] == tokens, chat
        u = chat["usage"]
        assert u["completionTokens"] == 16 and u["cost"] > 0 and u["isByok"] is False, u
        cd = u["costDetails"]  # the cost split by the endpoint's prices
        assert cd["upstreamInferencePromptCost"] > 0 and cd["upstreamInferenceCompletionsCost"] > 0
        assert abs(cd["upstreamInferencePromptCost"] + cd["upstreamInferenceCompletionsCost"]
                   - u["cost"]) < 1e-12, u

        st = sdk_step(res, "stream")
        assert st["content"] == tokens and st["finish"] == "stop", st
        assert len(st["ids"]) == 1 and st["usage"]["completionTokens"] == 16, st

        tl = sdk_step(res, "tools")
        assert tl["finish"] == "tool_calls" and tl["call"]["name"] == "get_weather", tl
        assert json.loads(tl["call"]["arguments"]) == {"location": "Paris"}, tl
        assert len(tl["streamed"]) == 1 and tl["streamed"][0]["id"], tl
        assert json.loads(tl["streamed"][0]["arguments"]) == {"location": "Paris"}, tl

        models = {m["id"]: m for m in sdk_step(res, "models")}
        assert models["mock/echo"]["prompt"] == "0.000001", models
        assert models["mock/echo"]["context"] == 8192, models
        ep = sdk_step(res, "endpoints")
        assert ep["id"] == "mock/echo" and ep["endpoints"] == ["Mock"], ep
        assert {"Mock", "Provider A"} <= set(sdk_step(res, "providers")), res["providers"]
        k = sdk_step(res, "key")
        assert k["label"].startswith("sk-sy-v1-") and k["isFreeTier"] is False, k

        g = sdk_step(res, "generation")
        assert g["id"] == chat["id"] and g["model"] == "mock/echo", g
        assert g["providerName"] == "Mock" and g["tokensCompletion"] == 16, g
        assert g["streamed"] is False and g["totalCost"] == u["cost"], g

        r = res["unknown_model"]
        assert not r["ok"] and r["status"] == 400, r
        md = json.loads(r["body"])["error"]["metadata"]
        assert md["error_type"] == "model_not_found", md
        r = res["provider_down"]
        assert not r["ok"] and r["status"] == 502, r
        assert json.loads(r["body"])["error"]["metadata"]["provider_name"] == "Provider A", r
        cut = sdk_step(res, "stream_cut")
        assert cut["finish"] == "error" and cut["error"]["code"] == 502, cut
        assert cut["content"] == " ".join(f"tok{i}" for i in range(8)), cut
    print("ok")


if __name__ == "__main__":
    main()
