"""Fault missing-done: the provider finishes (finish_reason and usage arrive) but closes without
data: [DONE]. That stream is complete: the client gets its usage chunk and [DONE] as usual, no
error, and the generation is a normal, billed success.
"""
from sy_cluster import Cluster, sse_data

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/nodone", [("pa", "echo@fault=missing-done")])
        c.wait_models(dp, key, "f/nodone")

        for _ in range(2):  # the mock closes the connection; the next request reconnects
            s, h, events, rest = c.chat_stream(dp, key, {"model": "f/nodone", "messages": MSGS})
            assert s == 200, (s, events)
            data = sse_data(events)
            assert data[-1] == "[DONE]" and rest == "", (data[-2:], rest)
            assert all("error" not in d for d in data[:-1]), data
            assert data[-2]["choices"] == [] and data[-2]["usage"]["completion_tokens"] == 16
            assert data[-2]["usage"]["cost"] > 0, data[-2]
            g = c.generation(dp, key, h["X-Generation-Id"])
            assert g["finish_reason"] == "stop" and g["total_cost"] > 0, g
            assert [a["error_class"] for a in g["provider_responses"]] == [""], g
    print("ok")


if __name__ == "__main__":
    main()
