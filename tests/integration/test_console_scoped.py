"""The admin web console signed in with an org-scoped management key: every page renders
without an error and shows only that org (its credits, its keys, its generations), the
catalog read-only (no credential buttons). Fails on any console error or failed request."""
from sy_cluster import Cluster, wait_until
from sy_console import assert_clean, run_console, step


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        mine = c.admin("GET", "/api/v1/orgs")[1]["data"][0]["id"]
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "other-org"})
        assert s == 201, b
        other = b["data"]["id"]
        s, b = c.admin("POST", f"/api/v1/orgs/{other}/credits", {"amount": 10})
        assert s == 201, b
        s, b = c.admin("POST", "/api/v1/keys", {"name": "other-key", "org_id": other})
        assert s == 201, b
        other_key = b["key"]
        for k in (key, other_key):
            s, b, _ = c.chat(dp, k, {"model": "mock/echo",
                                     "messages": [{"role": "user", "content": "hi"}]})
            assert s == 200, (s, b)
        s, b = c.admin("POST", "/api/v1/management-keys", {"name": "acme ops", "org_id": mine})
        assert s == 201, b
        scoped = b["key"]
        wait_until(lambda: c.admin("GET", "/api/v1/generations")[1]["total"] == 2, 10,
                   what="both generations in the controlplane")
        s, g = c.admin("GET", "/api/v1/generations", key=scoped)
        assert s == 200, g

        res = run_console("scoped", {"SY_ADMIN_URL": f"http://127.0.0.1:{c.admin_port}",
                                     "SY_SCOPED_KEY": scoped})
        assert_clean(res)
        assert mine in step(res, "who"), step(res, "who")
        for page in ("overview", "activity", "keys", "orgs", "providers"):
            v = step(res, page)
            assert not v["errors"], (page, v["errors"])
            assert "other-org" not in v["text"] and "other-key" not in v["text"], (page, v)
            assert set(v["orgs"]) <= {mine}, (page, v["orgs"])
        assert step(res, "overview")["orgs"] == [mine]
        assert step(res, "orgs")["orgs"] == [mine]
        assert step(res, "keys")["keys"] == ["k1"]
        assert step(res, "activity")["rows"] == g["total"] == 1, (step(res, "activity"), g)
        assert not any("credential" in b for b in step(res, "providers")["buttons"])
        assert "Post" not in step(res, "orgs")["buttons"], step(res, "orgs")["buttons"]
        print("ok: console with an org-scoped key")


if __name__ == "__main__":
    main()
