"""Fault stream-stall: half the answer, then silence with the connection open. The provider's
idle_timeout_ms (500) ends it: the in-band error chunk with finish_reason "error" and code 504
about half a second after the last token, never a hang; the generation says so.
"""
import time

from sy_cluster import Cluster, sse_data

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A", idle_timeout_ms=500)
        c.add_model("f/stall", [("pa", "echo@fault=stream-stall")])
        c.wait_models(dp, key, "f/stall")

        t0 = time.time()
        s, h, events, _ = c.chat_stream(dp, key, {"model": "f/stall", "messages": MSGS})
        dt = time.time() - t0
        assert s == 200, (s, events)
        assert 0.45 <= dt < 3, dt
        data = sse_data(events)
        assert "[DONE]" not in data, data
        last = data[-1]
        assert last["error"]["code"] == 504, last
        assert last["error"]["metadata"]["error_type"] == "timeout", last
        assert last["choices"][0]["finish_reason"] == "error", last
        assert any((d["choices"][0]["delta"].get("content") or "") == " tok7"
                   for d in data[:-1] if d["choices"]), data
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["finish_reason"] == "error" and g["total_cost"] == 0, g
        assert [a["error_class"] for a in g["provider_responses"]] == ["idle_timeout"], g
    print("ok")


if __name__ == "__main__":
    main()
