"""The official `openai` and `@openrouter/sdk` clients see the same response shape whichever
wire format served: each SDK check script (the ones test_sdk_openai and test_sdk_openrouter
run against an OpenAI-compatible provider) runs against a model served in Anthropic's format
and one served in Gemini's, with the cut-stream and provider-down cases on the same formats.
Node and npm are required: without them this test fails.
"""
import json

from sy_adapters import add_model, add_provider
from sy_cluster import Cluster, run_sdk_script, sdk_step

TOKENS = " ".join(f"tok{i}" for i in range(16))


def check_openai(res, model, provider):
    chat = sdk_step(res, "chat")
    assert chat["id"] == chat["header_id"] and chat["id"].startswith("gen-"), chat
    assert chat["object"] == "chat.completion" and chat["model"] == model, chat
    assert chat["provider"] == provider and chat["finish"] == "stop", chat
    assert chat["content"] == TOKENS, chat
    assert chat["usage"]["completion_tokens"] == 16 and chat["usage"]["cost"] > 0, chat
    st = sdk_step(res, "stream")
    assert st["content"] == TOKENS and st["finish"] == "stop" and len(st["ids"]) == 1, st
    assert st["usage"]["completion_tokens"] == 16 and st["usage"]["cost"] > 0, st
    tl = sdk_step(res, "tools")
    assert tl["finish"] == "tool_calls" and tl["call"]["function"]["name"] == "get_weather"
    assert json.loads(tl["call"]["function"]["arguments"]) == {"location": "Paris"}, tl
    assert len(tl["streamed"]) == 1 and tl["streamed"][0]["id"], tl
    assert json.loads(tl["streamed"][0]["arguments"]) == {"location": "Paris"}, tl
    acc = tl["accumulated"]
    assert json.loads(acc["function"]["arguments"]) == {"location": "Paris"}, acc
    g = sdk_step(res, "generation")
    assert g["id"] == chat["id"] and g["model"] == model and g["tokens_completion"] == 16, g
    assert not res["provider_down"]["ok"] and res["provider_down"]["status"] == 502, res
    r = res["stream_cut"]
    assert not r["ok"] and r["code"] == 502 and "stream" in r["error"], r


def check_openrouter(res, model, provider):
    chat = sdk_step(res, "chat")
    assert chat["model"] == model and chat["finish"] == "stop" and chat["content"] == TOKENS
    u = chat["usage"]
    assert u["completionTokens"] == 16 and u["cost"] > 0 and u["isByok"] is False, u
    st = sdk_step(res, "stream")
    assert st["content"] == TOKENS and st["finish"] == "stop", st
    assert len(st["ids"]) == 1 and st["usage"]["completionTokens"] == 16, st
    tl = sdk_step(res, "tools")
    assert tl["finish"] == "tool_calls" and tl["call"]["name"] == "get_weather", tl
    assert json.loads(tl["streamed"][0]["arguments"]) == {"location": "Paris"}, tl
    ep = sdk_step(res, "endpoints")
    assert ep["id"] == model and ep["endpoints"] == [provider], ep
    g = sdk_step(res, "generation")
    assert g["providerName"] == provider and g["tokensCompletion"] == 16, g
    assert g["totalCost"] == u["cost"], (g, u)
    r = res["provider_down"]
    assert not r["ok"] and r["status"] == 502, r
    cut = sdk_step(res, "stream_cut")
    assert cut["finish"] == "error" and cut["error"]["code"] == 502, cut
    assert cut["content"] == " ".join(f"tok{i}" for i in range(8)), cut


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        formats = {"anth": ("anthropic", "Anthropic", "529"),
                   "gem": ("gemini", "Google", "503")}
        for slug, (adapter, name, down) in formats.items():
            add_provider(c, slug, adapter, name)
            add_model(c, f"x/{slug}", [(slug, "echo")])
            add_model(c, f"x/{slug}-cut", [(slug, "echo@fault=stream-cut")])
            add_model(c, f"x/{slug}-down", [(slug, f"echo@fault={down}")])
        c.wait_models(dp, key, *[f"x/{s}{t}" for s in formats for t in ("", "-cut", "-down")])
        for slug, (_, name, _) in formats.items():
            env = {"SY_BASE_URL": dp.url + "/api/v1", "SY_KEY": key, "SY_MODEL": f"x/{slug}",
                   "SY_CUT_MODEL": f"x/{slug}-cut", "SY_DOWN_MODEL": f"x/{slug}-down"}
            res = run_sdk_script("openai_check.mjs", env)
            assert res is not None, "node and npm are required"
            check_openai(res, f"x/{slug}", name)
            res = run_sdk_script("openrouter_check.mjs", env)
            check_openrouter(res, f"x/{slug}", name)
    print("ok")


if __name__ == "__main__":
    main()
