"""Fault slow-first-token: nothing (not even headers) for a second. A stream gets its 200 with
': OPENROUTER PROCESSING' comments while it waits, then the whole answer and [DONE]; a
non-streaming request just waits and succeeds. The generation's latency shows the wait.
"""
import time

from sy_cluster import Cluster, sse_data

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster(dp_extra=["--processing-comment-ms", "200"])
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/slow", [("pa", "echo@fault=slow-first-token,ttft=1000")])
        c.wait_models(dp, key, "f/slow")

        t0 = time.time()
        s, h, events, _ = c.chat_stream(dp, key, {"model": "f/slow", "messages": MSGS})
        assert s == 200, (s, events)
        assert time.time() - t0 >= 0.95
        first_data = next(i for i, e in enumerate(events) if e.startswith("data: "))
        comments = events[:first_data]
        assert len(comments) >= 3, events[:6]
        assert all(e == ": OPENROUTER PROCESSING" for e in comments), comments
        assert all(not e.startswith(":") for e in events[first_data:]), events
        data = sse_data(events)
        assert data[-1] == "[DONE]" and data[-2]["choices"] == [], data[-2:]
        content = "".join(d["choices"][0]["delta"].get("content") or ""
                          for d in data[:-1] if d["choices"])
        assert content == " ".join(f"tok{i}" for i in range(16)), content
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["finish_reason"] == "stop" and g["latency"] >= 950, g

        t0 = time.time()
        s, b, h = c.chat(dp, key, {"model": "f/slow", "messages": MSGS})
        assert s == 200 and b["choices"][0]["finish_reason"] == "stop", (s, b)
        assert time.time() - t0 >= 0.95
    print("ok")


if __name__ == "__main__":
    main()
