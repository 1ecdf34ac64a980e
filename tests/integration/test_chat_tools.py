"""Tool calls, non-streaming and streamed: finish_reason tool_calls, the call's id/type/name
and JSON arguments; in a stream the first fragment for an index carries id, type and
function.name, later ones only argument fragments, and the fragments join to the arguments.
"""
import json

from sy_cluster import Cluster, sse_data

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}]
MSGS = [{"role": "user", "content": "What is the weather in Paris?"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()

        s, b, h = c.chat(dp, key, {"model": "mock/echo", "messages": MSGS, "tools": TOOLS,
                                   "tool_choice": "auto"})
        assert s == 200, (s, b)
        ch = b["choices"][0]
        assert ch["finish_reason"] == "tool_calls", ch
        assert ch["native_finish_reason"] == "tool_calls", ch
        calls = ch["message"]["tool_calls"]
        assert len(calls) == 1, calls
        assert calls[0]["type"] == "function" and calls[0]["id"], calls
        assert calls[0]["function"]["name"] == "get_weather", calls
        assert json.loads(calls[0]["function"]["arguments"]) == {"location": "Paris"}, calls
        assert b["usage"]["completion_tokens"] > 0 and b["usage"]["cost"] > 0, b

        s, h, events, _ = c.chat_stream(dp, key, {"model": "mock/echo", "messages": MSGS,
                                                  "tools": TOOLS})
        assert s == 200, (s, events)
        data = sse_data(events)
        assert data[-1] == "[DONE]", data
        frags = [tc for d in data[:-1] if d["choices"]
                 for tc in d["choices"][0]["delta"].get("tool_calls") or []]
        assert len(frags) >= 2, frags
        first, later = frags[0], frags[1:]
        assert first["index"] == 0 and first["id"] and first["type"] == "function", first
        assert first["function"]["name"] == "get_weather", first
        for f in later:
            assert f["index"] == 0 and "id" not in f and "name" not in f["function"], f
        args = "".join(f["function"].get("arguments", "") for f in frags)
        assert json.loads(args) == {"location": "Paris"}, args
        fin = [d for d in data[:-1] if d["choices"] and d["choices"][0]["finish_reason"]]
        assert fin[-1]["choices"][0]["finish_reason"] == "tool_calls", fin
        assert data[-2]["choices"] == [] and data[-2]["usage"]["completion_tokens"] > 0, data[-2]
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["finish_reason"] == "tool_calls" and g["streamed"] is True, g
    print("ok")


if __name__ == "__main__":
    main()
