"""The official `openai` npm client against the dataplane, unchanged: chat (with the
X-Generation-Id header), streaming with usage, tool calls (raw deltas and the SDK's own stream
accumulator), models listing, the key and a generation through the client's generic get, and
errors: unknown model and provider failure as APIError with the right status, a stream cut
mid-answer raised by the SDK from our in-band error chunk. Skips when node/npm are missing.
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
        res = run_sdk_script("openai_check.mjs", {
            "SY_BASE_URL": dp.url + "/api/v1", "SY_KEY": key, "SY_MODEL": "mock/echo",
            "SY_CUT_MODEL": "f/cut", "SY_DOWN_MODEL": "f/down"})
        if res is None:
            print("SKIP: node/npm not available")
            return
        sys.stderr.write(json.dumps(res, indent=1)[:3000] + "\n")
        tokens = " ".join(f"tok{i}" for i in range(16))

        chat = ok(res, "chat")
        assert chat["id"] == chat["header_id"] and chat["id"].startswith("gen-"), chat
        assert chat["object"] == "chat.completion" and chat["model"] == "mock/echo", chat
        assert chat["provider"] == "Mock" and chat["finish"] == "stop", chat
        assert chat["content"] == tokens, chat
        assert chat["usage"]["completion_tokens"] == 16 and chat["usage"]["cost"] > 0, chat

        st = ok(res, "stream")
        assert st["content"] == tokens and st["finish"] == "stop", st
        assert len(st["ids"]) == 1 and st["ids"][0].startswith("gen-"), st
        assert st["usage"]["completion_tokens"] == 16 and st["usage"]["cost"] > 0, st

        tl = ok(res, "tools")
        assert tl["finish"] == "tool_calls", tl
        assert tl["call"]["function"]["name"] == "get_weather", tl
        assert json.loads(tl["call"]["function"]["arguments"]) == {"location": "Paris"}, tl
        assert len(tl["streamed"]) == 1 and tl["streamed"][0]["id"], tl
        assert tl["streamed"][0]["name"] == "get_weather", tl
        assert json.loads(tl["streamed"][0]["arguments"]) == {"location": "Paris"}, tl
        acc = tl["accumulated"]
        assert acc["function"]["name"] == "get_weather", acc
        assert json.loads(acc["function"]["arguments"]) == {"location": "Paris"}, acc

        models = ok(res, "models")
        assert {"mock/echo", "f/cut", "f/down"} <= set(models), models

        k = ok(res, "key")
        assert k["is_management_key"] is False and "label" in k, k

        g = ok(res, "generation")
        assert g["id"] == chat["id"] and g["model"] == "mock/echo", g
        assert g["tokens_completion"] == 16, g

        r = res["unknown_model"]
        assert not r["ok"] and r["status"] == 404, r
        r = res["provider_down"]
        assert not r["ok"] and r["status"] == 502, r
        r = res["stream_cut"]
        assert not r["ok"] and r["code"] == 502 and "stream" in r["error"], r
    print("ok")


if __name__ == "__main__":
    main()
