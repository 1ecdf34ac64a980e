"""CORS on the public inference API. A browser's preflight (OPTIONS with Origin and
Access-Control-Request-*) on any API path is answered 204 without a key; every answer —
chat (whole and streamed), catalog, errors — carries Access-Control-Allow-Origin (`*` by
default) and exposes X-Generation-Id; `--cors-origin` sets one origin (with Vary: Origin) or
`none`. The admin API (controlplane) sends no CORS headers at all: it stays same-origin.
"""
from sy_cluster import Cluster, http

ORIGIN = "https://app.example"
MSGS = [{"role": "user", "content": "hi"}]


def preflight(url, path="/api/v1/chat/completions"):
    return http("OPTIONS", url + path, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-title"})


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        auth = {"Authorization": "Bearer " + key, "Origin": ORIGIN}

        s, _, h = preflight(dp.url)
        assert s == 204, s
        assert h["Access-Control-Allow-Origin"] == "*", dict(h)
        assert "POST" in h["Access-Control-Allow-Methods"], dict(h)
        assert h["Access-Control-Allow-Headers"] == "authorization, content-type, x-title"
        assert int(h["Access-Control-Max-Age"]) > 0
        s, _, h = preflight(dp.url, "/api/v1/models")
        assert s == 204 and "GET" in h["Access-Control-Allow-Methods"], (s, dict(h))
        s, _, h = preflight(dp.url, "/api/v1/nothing-here")
        assert s == 404, s

        s, b, h = c.chat(dp, key, {"model": "mock/echo", "messages": MSGS},
                         headers={"Origin": ORIGIN})
        assert s == 200 and h["Access-Control-Allow-Origin"] == "*", (s, dict(h))
        assert "X-Generation-Id" in h["Access-Control-Expose-Headers"], dict(h)
        s, h, events, _ = c.chat_stream(dp, key, {"model": "mock/echo", "messages": MSGS},
                                        headers={"Origin": ORIGIN})
        assert s == 200 and h["Access-Control-Allow-Origin"] == "*", (s, dict(h))
        for path in ("/api/v1/models", "/api/v1/key"):
            s, _, h = http("GET", dp.url + path, headers=auth)
            assert s == 200 and h["Access-Control-Allow-Origin"] == "*", (path, s)
        s, _, h = http("GET", dp.url + "/api/v1/key", headers={"Origin": ORIGIN})
        assert s == 401 and h["Access-Control-Allow-Origin"] == "*", (s, dict(h))

        one = c.start_dataplane(extra=["--cors-origin", ORIGIN])
        c.wait_models(one, key, "mock/echo")
        s, _, h = preflight(one.url)
        assert s == 204 and h["Access-Control-Allow-Origin"] == ORIGIN, dict(h)
        s, _, h = http("GET", one.url + "/api/v1/models", headers=auth)
        assert h["Access-Control-Allow-Origin"] == ORIGIN and h["Vary"] == "Origin", dict(h)

        off = c.start_dataplane(extra=["--cors-origin", "none"])
        c.wait_models(off, key, "mock/echo")
        s, _, h = http("GET", off.url + "/api/v1/models", headers=auth)
        assert s == 200 and "Access-Control-Allow-Origin" not in h, dict(h)
        s, _, h = preflight(off.url)
        assert s == 204 and "Access-Control-Allow-Origin" not in h, dict(h)

        admin = f"http://127.0.0.1:{c.admin_port}"
        s, _, h = http("GET", admin + "/api/v1/orgs",
                       headers={"Authorization": "Bearer " + c.admin_key, "Origin": ORIGIN})
        assert s == 200 and "Access-Control-Allow-Origin" not in h, dict(h)
        s, _, h = preflight(admin, "/api/v1/orgs")
        assert "Access-Control-Allow-Origin" not in h, (s, dict(h))
        print("ok")


if __name__ == "__main__":
    main()
