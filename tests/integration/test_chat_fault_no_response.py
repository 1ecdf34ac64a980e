"""Fault no-response: the provider reads the request and never answers. With the provider's
first_byte_timeout_ms at 500 the client gets 504 about then (not after minutes), in JSON, also
for a stream; with a fallback endpoint the fallback serves after the deadline.
"""
import time

from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A", first_byte_timeout_ms=500)
        c.add_mock_provider("pb", "Provider B")
        c.add_model("f/mute", [("pa", "echo@fault=no-response")])
        c.add_model("f/mute-fb", [("pa", "echo@fault=no-response"), ("pb", "echo")])
        c.wait_models(dp, key, "f/mute", "f/mute-fb")

        t0 = time.time()
        s, b, h = c.chat(dp, key, {"model": "f/mute", "messages": MSGS})
        dt = time.time() - t0
        assert s == 504, (s, b)
        assert 0.45 <= dt < 2.5, dt
        assert b["error"]["code"] == 504 and b["error"]["metadata"]["error_type"] == "timeout", b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [(a["status"], a["error_class"]) for a in g["provider_responses"]] == \
            [(None, "timeout")], g

        t0 = time.time()
        s, h, events, b = c.chat_stream(dp, key, {"model": "f/mute", "messages": MSGS})
        assert s == 504 and events is None and b["error"]["code"] == 504, (s, events, b)
        assert time.time() - t0 < 2.5

        t0 = time.time()
        s, b, h = c.chat(dp, key, {"model": "f/mute-fb", "messages": MSGS,
                                   "provider": {"order": ["pa", "pb"]}})
        assert s == 200 and b["provider"] == "Provider B", (s, b)
        assert time.time() - t0 < 2.5
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [a["error_class"] for a in g["provider_responses"]] == ["timeout", ""], g
    print("ok")


if __name__ == "__main__":
    main()
