"""Fault stream-cut: half the answer, then the connection closes without a finish. The client
keeps its 200 and gets the in-band error chunk (top-level error, finish_reason "error") as the
last event, no [DONE]; the generation says finish_reason error, costs nothing, and lists the
attempt as stream_cut. Non-streaming, a body cut short is a 502 after one retry.
"""
from sy_cluster import Cluster, sse_data

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/cut", [("pa", "echo@fault=stream-cut")])
        c.wait_models(dp, key, "f/cut")

        s, h, events, rest = c.chat_stream(dp, key, {"model": "f/cut", "messages": MSGS})
        assert s == 200, (s, events)
        gid = h["X-Generation-Id"]
        data = sse_data(events)
        assert "[DONE]" not in data, data
        content = "".join(d["choices"][0]["delta"].get("content") or ""
                          for d in data[:-1] if d["choices"])
        assert content == " ".join(f"tok{i}" for i in range(8)), content
        last = data[-1]
        assert last["id"] == gid and last["provider"] == "Provider A", last
        assert last["error"]["code"] == 502 and last["error"]["message"], last
        assert last["error"]["metadata"]["provider_name"] == "Provider A", last
        assert last["choices"][0]["finish_reason"] == "error", last
        assert all("error" not in d for d in data[:-1]), data
        g = c.generation(dp, key, gid)
        assert g["finish_reason"] == "error" and g["total_cost"] == 0, g
        assert g["cancelled"] is False and g["streamed"] is True, g
        assert [a["error_class"] for a in g["provider_responses"]] == ["stream_cut"], g

        s, b, h = c.chat(dp, key, {"model": "f/cut", "messages": MSGS})
        assert s == 502, (s, b)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert len(g["provider_responses"]) == 2, g
    print("ok")


if __name__ == "__main__":
    main()
