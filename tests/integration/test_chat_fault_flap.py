"""Fault flap (the primary answers 503, 200, 503, 200...): every request succeeds, served by
the primary when it is up and by the fallback when it is not; alternating failures never add
up to an ejection, so the primary keeps its share.
"""
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_mock_provider("pb", "Provider B")
        c.add_model("f/flap", [("pa", "echo@fault=flap"), ("pb", "echo")])
        c.wait_models(dp, key, "f/flap")

        served = []
        for _ in range(8):
            s, b, h = c.chat(dp, key, {"model": "f/flap", "messages": MSGS,
                                       "provider": {"order": ["pa", "pb"]}})
            assert s == 200, (s, b)
            served.append(b["provider"])
            g = c.generation(dp, key, h["X-Generation-Id"])
            expect = [("pa", 503), ("pb", 200)] if b["provider"] == "Provider B" \
                else [("pa", 200)]
            assert [(a["provider"], a["status"]) for a in g["provider_responses"]] == expect, g
        # mock's flap fails the 1st, 3rd, ... request: B, A, B, A, ...
        assert served == ["Provider B", "Provider A"] * 4, served
    print("ok")


if __name__ == "__main__":
    main()
