"""The official `openai` npm client against the dataplane, unchanged: chat (with the
X-Generation-Id header), streaming with usage, tool calls (raw deltas and the SDK's own stream
accumulator), models listing, the key and a generation through the client's generic get, and
errors: unknown model and provider failure as APIError with the right status, a stream cut
mid-answer raised by the SDK from our in-band error chunk.
"""
import json

from sy_cluster import Cluster, sdk_step


def main():
    with Cluster() as c:
        res = c.run_sdk_check("openai_check.mjs")
        tokens = " ".join(f"tok{i}" for i in range(16))

        chat = sdk_step(res, "chat")
        assert chat["id"] == chat["header_id"] and chat["id"].startswith("gen-"), chat
        assert chat["object"] == "chat.completion" and chat["model"] == "mock/echo", chat
        assert chat["provider"] == "Mock" and chat["finish"] == "stop", chat
        assert chat["content"] == tokens, chat
        assert chat["usage"]["completion_tokens"] == 16 and chat["usage"]["cost"] > 0, chat

        st = sdk_step(res, "stream")
        assert st["content"] == tokens and st["finish"] == "stop", st
        assert len(st["ids"]) == 1 and st["ids"][0].startswith("gen-"), st
        assert st["usage"]["completion_tokens"] == 16 and st["usage"]["cost"] > 0, st

        tl = sdk_step(res, "tools")
        assert tl["finish"] == "tool_calls", tl
        assert tl["call"]["function"]["name"] == "get_weather", tl
        assert json.loads(tl["call"]["function"]["arguments"]) == {"location": "Paris"}, tl
        assert len(tl["streamed"]) == 1 and tl["streamed"][0]["id"], tl
        assert tl["streamed"][0]["name"] == "get_weather", tl
        assert json.loads(tl["streamed"][0]["arguments"]) == {"location": "Paris"}, tl
        acc = tl["accumulated"]
        assert acc["function"]["name"] == "get_weather", acc
        assert json.loads(acc["function"]["arguments"]) == {"location": "Paris"}, acc

        models = sdk_step(res, "models")
        assert {"mock/echo", "f/cut", "f/down"} <= set(models), models

        k = sdk_step(res, "key")
        assert k["is_management_key"] is False and "label" in k, k

        g = sdk_step(res, "generation")
        assert g["id"] == chat["id"] and g["model"] == "mock/echo", g
        assert g["tokens_completion"] == 16, g

        r = res["unknown_model"]
        assert not r["ok"] and r["status"] == 400, r  # OpenRouter's model_not_found
        r = res["provider_down"]
        assert not r["ok"] and r["status"] == 502, r
        r = res["stream_cut"]
        assert not r["ok"] and r["code"] == 502 and "stream" in r["error"], r
    print("ok")


if __name__ == "__main__":
    main()
