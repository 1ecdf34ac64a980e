"""Fault content-filter (a 400 from the provider's moderation): the client's request is at
fault, so the 400 goes to the client as is, with no retry and no fall-over even when `models`
lists another model; the provider is not penalised (it keeps being used).
"""
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "something the filter dislikes"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_mock_provider("pb", "Provider B")
        c.add_model("f/strict", [("pa", "echo@fault=content-filter")])
        c.add_model("f/other", [("pb", "echo")])
        c.wait_models(dp, key, "f/strict", "f/other")

        for i in range(4):
            s, b, h = c.chat(dp, key, {"model": "f/strict", "models": ["f/other"],
                                       "messages": MSGS})
            assert s == 400, (s, b)
            assert b["error"]["code"] == 400 and b["error"]["message"], b
            g = c.generation(dp, key, h["X-Generation-Id"])
            assert [(a["provider"], a["status"], a["error_class"])
                    for a in g["provider_responses"]] == [("pa", 400, "client_error")], g
        stats = c.mock_stats()
        assert stats["requests"]["pa|echo@fault=content-filter"] == 4, stats
        assert "pb" not in stats["prefixes"], stats
    print("ok")


if __name__ == "__main__":
    main()
