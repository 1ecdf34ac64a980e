"""Fault malformed-chunk: a stream that sends one 'data: {not json' mid-answer goes on: the
unparsable event is skipped (counted on the attempt as malformed_events, in the metrics, and
logged) and the client gets the whole answer and [DONE]. A stream that keeps sending garbage
(fault garbage: every event from halfway on) ends after --malformed-run-max (3) unparsable
events in a row with the in-band error chunk (finish_reason "error") right after the good
chunks. Non-streaming, a body that is not JSON is a 502 "invalid provider response".
"""
import re

from sy_cluster import Cluster, http, sse_data, wait_until

MSGS = [{"role": "user", "content": "hi"}]
SKIPPED = re.compile(r"^switchyard_dp_stream_malformed_skipped_total (\d+)$", re.M)


def content(data):
    return "".join(d["choices"][0]["delta"].get("content") or ""
                   for d in data if isinstance(d, dict) and d.get("choices"))


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/bad", [("pa", "echo@fault=malformed-chunk")])
        c.add_model("f/junk", [("pa", "echo@fault=garbage")])
        c.wait_models(dp, key, "f/bad", "f/junk")

        s, h, events, _ = c.chat_stream(dp, key, {"model": "f/bad", "messages": MSGS})
        assert s == 200, (s, events)
        data = sse_data(events)
        assert data[-1] == "[DONE]", data
        assert all("error" not in d for d in data[:-1]), data
        assert content(data) == " ".join(f"tok{i}" for i in range(16)), content(data)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["finish_reason"] == "stop", g
        pr = g["provider_responses"]
        assert [(a["error_class"], a.get("malformed_events")) for a in pr] == [("", 1)], pr
        wait_until(lambda: int(SKIPPED.search(http("GET", dp.metrics_url)[1]).group(1)) >= 1,
                   what="the skipped event in the metrics")
        assert "skipped an unparsable stream event" in dp.log()

        s, h, events, _ = c.chat_stream(dp, key, {"model": "f/junk", "messages": MSGS})
        assert s == 200, (s, events)
        data = sse_data(events)
        assert "[DONE]" not in data, data
        last = data[-1]
        assert last["error"]["code"] == 502, last
        assert "invalid provider response" in last["error"]["message"], last
        assert last["choices"][0]["finish_reason"] == "error", last
        assert content(data[:-1]) == " ".join(f"tok{i}" for i in range(8)), content(data)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["finish_reason"] == "error", g
        pr = g["provider_responses"]
        assert [(a["error_class"], a.get("malformed_events")) for a in pr] == \
            [("malformed_chunk", 3)], pr

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
