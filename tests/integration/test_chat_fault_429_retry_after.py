"""Fault 429 with Retry-After: the client gets 429 with the smallest Retry-After its attempts
saw; the endpoint is left alone for that long, so a following request goes straight to the
fallback without touching the rate-limited provider. Every Retry-After here is longer than
--retry-after-max-ms (2 s), so none is waited for (test_chat_fault_retry_same: the short ones).
"""
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_mock_provider("pb", "Provider B")
        c.add_model("f/ra", [("pa", "echo@fault=429-retry-after-3")])
        c.add_model("f/ra2", [("pa", "echo@fault=429-retry-after-7"),
                              ("pb", "echo@fault=429-retry-after-3")])
        c.add_model("f/ra-fb", [("pa", "echo@fault=429-retry-after-30"), ("pb", "echo")])
        c.wait_models(dp, key, "f/ra", "f/ra2", "f/ra-fb")

        s, b, h = c.chat(dp, key, {"model": "f/ra", "messages": MSGS})
        assert s == 429 and h["Retry-After"] == "3", (s, b, dict(h))
        assert b["error"]["code"] == 429, b

        s, b, h = c.chat(dp, key, {"model": "f/ra2", "messages": MSGS})
        assert s == 429 and h["Retry-After"] == "3", (s, b, dict(h))
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert sorted(a["provider"] for a in g["provider_responses"]) == ["pa", "pb"], g

        order = {"order": ["pa", "pb"]}
        s, b, h = c.chat(dp, key, {"model": "f/ra-fb", "messages": MSGS, "provider": order})
        assert s == 200 and b["provider"] == "Provider B", (s, b)
        seen = c.mock_stats()["requests"]["pa|echo@fault=429-retry-after-30"]
        assert seen == 1, seen
        s, b, h = c.chat(dp, key, {"model": "f/ra-fb", "messages": MSGS, "provider": order})
        assert s == 200 and b["provider"] == "Provider B", (s, b)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [a["provider"] for a in g["provider_responses"]] == ["pb"], g
        assert c.mock_stats()["requests"]["pa|echo@fault=429-retry-after-30"] == seen
    print("ok")


if __name__ == "__main__":
    main()
