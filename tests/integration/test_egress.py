"""Where the gateway connects: the address a provider's host name resolves to is checked when
the dataplane connects, whatever the base_url said when it was stored.

- A provider not marked internal whose host name (localhost) resolves to loopback is refused:
  502 to the client, no request reaches the upstream, the worker's log names the address.
- Marked internal (PATCH "internal": true), the same provider is used.
- A link-local / cloud metadata address (169.254.169.254) is refused even for an internal
  provider, before any packet is sent (the socket is never opened).
- http_proxy / HTTP_PROXY in the dataplane's environment are ignored (they point at a dead
  port here; chats still go straight to the provider).
- The admin API shows the flag and refuses a non-boolean with a 400 naming it.
"""
from sy_cluster import Cluster, wait_until

MSGS = [{"role": "user", "content": "hi"}]
DEAD_PROXY = "http://127.0.0.1:1"


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        _, key, _ = c.setup_demo()
        c.add_mock_provider("ext", "External", internal=False)
        s, b = c.admin("PATCH", "/api/v1/providers/ext", {
            "base_url": f"http://localhost:{c.mock_port}/ext/v1"})
        assert s == 200 and b["data"]["internal"] is False, (s, b)
        c.add_mock_provider("meta", "Metadata", base_url="http://169.254.169.254/v1")
        c.add_model("f/ext", [("ext", "echo")])
        c.add_model("f/meta", [("meta", "echo")])
        dp = c.start_dataplane(env={"http_proxy": DEAD_PROXY, "HTTP_PROXY": DEAD_PROXY,
                                    "https_proxy": DEAD_PROXY, "ALL_PROXY": DEAD_PROXY})
        c.wait_models(dp, key, "mock/echo", "f/ext", "f/meta")

        s, b, _ = c.chat(dp, key, {"model": "mock/echo", "messages": MSGS})
        assert s == 200, ("the environment's proxy was used", s, b)

        before = c.mock_stats()["total"]
        for model, addr in (("f/ext", "refused to connect to "), ("f/meta",
                                                                 "169.254.169.254")):
            s, b, _ = c.chat(dp, key, {"model": model, "messages": MSGS})
            assert s == 502, (model, s, b)
            assert "not allowed" in b["error"]["message"], b
            assert addr in dp.log(), (model, dp.log()[-2000:])
        assert c.mock_stats()["total"] == before, "a refused request reached the upstream"
        assert "refused to connect to 127.0.0.1" in dp.log() or \
            "refused to connect to ::1" in dp.log()

        s, b = c.admin("PATCH", "/api/v1/providers/ext", {"internal": True})
        assert s == 200 and b["data"]["internal"] is True, (s, b)

        def ext_ok():
            return c.chat(dp, key, {"model": "f/ext", "messages": MSGS})[0] == 200
        wait_until(ext_ok, 10, 0.2, what="the internal provider is used")
        s, b = c.admin("PATCH", "/api/v1/providers/meta", {"internal": True})
        s, b, _ = c.chat(dp, key, {"model": "f/meta", "messages": MSGS})
        assert s == 502, ("metadata address allowed", s, b)

        s, b = c.admin("PATCH", "/api/v1/providers/ext", {"internal": "yes"})
        assert s == 400 and "internal" in b["error"]["message"], (s, b)
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main())
