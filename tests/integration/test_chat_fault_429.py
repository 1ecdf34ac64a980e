"""Fault 429 without Retry-After: with a single endpoint the client gets 429 (not a 502, and no
Retry-After header since none is known); with a fallback the fallback serves. A 429 is the
provider's rate limit, not a fault: it does not count toward ejection.
"""
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_mock_provider("pb", "Provider B")
        c.add_model("f/busy", [("pa", "echo@fault=429")])
        c.add_model("f/busy-fb", [("pa", "echo@fault=429"), ("pb", "echo")])
        c.wait_models(dp, key, "f/busy", "f/busy-fb")

        s, b, h = c.chat(dp, key, {"model": "f/busy", "messages": MSGS})
        assert s == 429, (s, b)
        assert "Retry-After" not in h, dict(h)
        assert b["error"]["code"] == 429, b
        assert b["error"]["metadata"]["provider_name"] == "Provider A", b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [(a["status"], a["error_class"]) for a in g["provider_responses"]] == \
            [(429, "rate_limited")], g
        assert c.mock_stats()["requests"]["pa|echo@fault=429"] == 1  # a 429 is not retried

        for _ in range(4):  # never ejected: the primary is tried first every time
            s, b, h = c.chat(dp, key, {"model": "f/busy-fb", "messages": MSGS,
                                       "provider": {"order": ["pa", "pb"]}})
            assert s == 200 and b["provider"] == "Provider B", (s, b)
            g = c.generation(dp, key, h["X-Generation-Id"])
            assert [(a["provider"], a["status"]) for a in g["provider_responses"]] == \
                [("pa", 429), ("pb", 200)], g
    print("ok")


if __name__ == "__main__":
    main()
