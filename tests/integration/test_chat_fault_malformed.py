"""Fault malformed-chunk: a stream that sends 'data: {not json' mid-answer is never passed off
as a success: the client gets the in-band error chunk (finish_reason "error") right after the
good chunks and nothing the provider sent afterwards. Non-streaming, a body that is not JSON is
a 502 "invalid provider response".
"""
from sy_cluster import Cluster, sse_data

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/bad", [("pa", "echo@fault=malformed-chunk")])
        c.wait_models(dp, key, "f/bad")

        s, h, events, _ = c.chat_stream(dp, key, {"model": "f/bad", "messages": MSGS})
        assert s == 200, (s, events)
        data = sse_data(events)
        assert "[DONE]" not in data, data
        last = data[-1]
        assert last["error"]["code"] == 502, last
        assert "invalid provider response" in last["error"]["message"], last
        assert last["choices"][0]["finish_reason"] == "error", last
        content = "".join(d["choices"][0]["delta"].get("content") or ""
                          for d in data[:-1] if d["choices"])
        assert content == " ".join(f"tok{i}" for i in range(8)), content
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["finish_reason"] == "error", g
        assert [a["error_class"] for a in g["provider_responses"]] == ["malformed_chunk"], g

        s, b, h = c.chat(dp, key, {"model": "f/bad", "messages": MSGS})
        assert s == 502, (s, b)
        assert b["error"]["message"] == "invalid provider response", b
        assert b["error"]["metadata"]["provider_name"] == "Provider A", b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [a["error_class"] for a in g["provider_responses"]] == \
            ["invalid_response", "invalid_response"], g
    print("ok")


if __name__ == "__main__":
    main()
