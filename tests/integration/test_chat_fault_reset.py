"""Fault reset (TCP RST before any response byte): a reset once is retried to success; a
persistent reset gives 502 "connection" error with the provider's name; the generation records
the attempts with error_class reset.
"""
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/rst-once", [("pa", "echo@fault=reset-once")])
        c.add_model("f/rst", [("pa", "echo@fault=reset")])
        c.wait_models(dp, key, "f/rst-once", "f/rst")

        s, b, h = c.chat(dp, key, {"model": "f/rst-once", "messages": MSGS})
        assert s == 200, (s, b)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [(a["status"], a["error_class"]) for a in g["provider_responses"]] == \
            [(None, "reset"), (200, "")], g

        s, b, h = c.chat(dp, key, {"model": "f/rst", "messages": MSGS})
        assert s == 502, (s, b)
        assert b["error"]["metadata"]["provider_name"] == "Provider A", b
        assert b["error"]["metadata"]["error_type"] == "provider_unavailable", b
        assert b["error"]["metadata"]["reason"] == "provider_error", b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [a["error_class"] for a in g["provider_responses"]] == ["reset", "reset"], g

        s, h, events, b = c.chat_stream(dp, key, {"model": "f/rst", "messages": MSGS})
        assert s == 502 and events is None, (s, events, b)
    print("ok")


if __name__ == "__main__":
    main()
