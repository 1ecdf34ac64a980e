"""Fault 500-once: the provider fails the first request with a 500; the gateway retries the
only endpoint once before anything reached the client, and the client gets a clean 200. The
generation lists both attempts. Streaming behaves the same (the 500 comes before any byte).
"""
from sy_cluster import Cluster, sse_data


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/once", [("pa", "echo@fault=500-once")])
        c.add_model("f/once-stream", [("pa", "echo@fault=500-once,key=stream")])
        c.wait_models(dp, key, "f/once", "f/once-stream")
        msgs = [{"role": "user", "content": "hi"}]

        s, b, h = c.chat(dp, key, {"model": "f/once", "messages": msgs})
        assert s == 200, (s, b)
        assert b["provider"] == "Provider A" and b["model"] == "f/once", b
        assert b["choices"][0]["finish_reason"] == "stop", b
        g = c.generation(dp, key, h["X-Generation-Id"])
        pr = g["provider_responses"]
        assert [(a["provider"], a["status"], a["error_class"]) for a in pr] == \
            [("pa", 500, "http_5xx"), ("pa", 200, "")], pr
        assert g["finish_reason"] == "stop" and g["total_cost"] > 0, g
        assert c.mock_stats()["requests"]["pa|echo@fault=500-once"] == 2

        s, h, events, _ = c.chat_stream(dp, key, {"model": "f/once-stream", "messages": msgs})
        assert s == 200, (s, events)
        data = sse_data(events)
        assert data[-1] == "[DONE]" and all("error" not in d for d in data[:-1]), data
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [a["status"] for a in g["provider_responses"]] == [500, 200], g
        assert g["streamed"] is True and g["finish_reason"] == "stop", g
    print("ok")


if __name__ == "__main__":
    main()
