"""The admin audit log: every admin mutation route appends one entry (who: the management
key's hash prefix, name and org; what: method, route, object, the names of the fields set,
never their values; when; from which address) in the change's own transaction, a refused
change none. GET /api/v1/audit pages newest first with a cursor and filters by object, type,
actor and time; an org-scoped management key sees only its org's entries.
"""
import time

from sy_cluster import Cluster, http

SECRET = "sk-provider-secret-never-shown"


def entries(c, query="", key=None):
    s, b = c.admin("GET", "/api/v1/audit" + query, key=key)
    assert s == 200, (query, s, b)
    return b


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        admin_hash = None
        s, b = c.admin("GET", "/api/v1/management-keys")
        for k in b["data"]:
            admin_hash = k["hash"]
        assert entries(c)["data"] == [], "a fresh store has no entries"

        # one mutation per admin route: (method, path, body, route, object type, fields, status)
        done = []

        def do(method, path, body, route, otype, status=None):
            s, b = c.admin(method, path, body)
            assert s in ((status,) if status else (200, 201)), (method, path, s, b)
            done.append((method, route, otype, sorted(body or {}), s))
            return b

        do("POST", "/api/v1/providers", {"slug": "p1", "base_url": c.mock_url(),
                                         "api_key": SECRET}, "providers", "provider", 201)
        do("PATCH", "/api/v1/providers/p1", {"name": "P One", "api_key": SECRET + "2"},
           "providers/{id}", "provider")
        do("POST", "/api/v1/models", {"id": "a/m", "endpoints": [{
            "provider": "p1", "provider_model_id": "echo",
            "pricing": {"prompt": "0.000001", "completion": "0.000002"}}]}, "models", "model")
        do("PATCH", "/api/v1/models/a/m", {"name": "A M"}, "models/{id}", "model")
        do("PUT", "/api/v1/auto-router", {"default_model": "a/m"}, "auto-router",
           "auto_router", 201)
        do("DELETE", "/api/v1/auto-router", None, "auto-router", "auto_router")
        org = do("POST", "/api/v1/orgs", {"name": "acme"}, "orgs", "org")["data"]["id"]
        other = do("POST", "/api/v1/orgs", {"name": "other"}, "orgs", "org")["data"]["id"]
        do("PATCH", f"/api/v1/orgs/{org}", {"name": "acme inc"}, "orgs/{id}", "org")
        do("POST", f"/api/v1/orgs/{org}/credits", {"amount": 10, "note": "invoice 1"},
           "orgs/{id}/credits", "org", 201)
        do("PUT", f"/api/v1/orgs/{org}/budgets/daily", {"limit_usd": 5},
           "orgs/{id}/budgets/daily", "org")
        do("DELETE", f"/api/v1/orgs/{org}/budgets/daily", None, "orgs/{id}/budgets/daily", "org")
        k = do("POST", "/api/v1/keys", {"name": "k1", "org_id": org, "allowed_ips": ["::1"]},
               "keys", "key", 201)
        khash = k["data"]["hash"]
        do("PATCH", f"/api/v1/keys/{khash}", {"disabled": True}, "keys/{id}", "key")
        mk = do("POST", "/api/v1/management-keys", {"name": "acme ops", "org_id": org},
                "management-keys", "management_key", 201)
        scoped, scoped_hash = mk["key"], mk["data"]["hash"]
        ok2 = do("POST", "/api/v1/keys", {"name": "k2", "org_id": other}, "keys", "key", 201)
        do("DELETE", f"/api/v1/keys/{khash}", None, "keys/{id}", "key")
        do("DELETE", f"/api/v1/keys/{ok2['data']['hash']}", None, "keys/{id}", "key")
        do("DELETE", f"/api/v1/orgs/{other}", None, "orgs/{id}", "org")
        do("DELETE", "/api/v1/models/a/m", None, "models/{id}", "model")
        do("DELETE", "/api/v1/providers/p1", None, "providers/{id}", "provider")
        # the scoped key's own changes name it as the actor
        s, b = c.admin("POST", "/api/v1/keys", {"name": "k3"}, key=scoped)
        assert s == 201, (s, b)
        k3 = b["data"]["hash"]
        done.append(("POST", "keys", "key", ["name"], 201))
        mk2 = do("POST", "/api/v1/management-keys", {"name": "tmp"}, "management-keys",
                 "management_key", 201)
        do("DELETE", f"/api/v1/management-keys/{mk2['data']['hash']}", None,
           "management-keys/{id}", "management_key")

        # refused changes leave nothing
        n = len(done)
        for method, path, body in [("POST", "/api/v1/orgs", {"name": ""}),
                                   ("PATCH", f"/api/v1/keys/{k3}", {"limit": -1}),
                                   ("DELETE", "/api/v1/providers/nope", None),
                                   ("POST", f"/api/v1/orgs/{org}/credits", {"amount": "x"})]:
            s, b = c.admin(method, path, body)
            assert s >= 400, (method, path, s, b)

        b = entries(c, "?limit=1000")
        got = list(reversed(b["data"]))
        assert b["next_cursor"] is None, b
        assert len(got) == n, (len(got), n, got)
        assert SECRET not in str(b), "a credential reached the audit log"
        for e, (method, route, otype, fields, status) in zip(got, done):
            assert (e["method"], e["route"], e["object_type"], sorted(e["fields"]),
                    e["status"]) == (method, route, otype, fields, status), (e, route)
            assert e["remote_addr"] == "127.0.0.1", e
            assert e["created_at"].endswith("Z") and e["object_id"], e
        assert got[0]["actor"]["hash_prefix"] == admin_hash[:16], got[0]
        assert got[0]["actor"]["org_id"] is None
        assert got[0]["object_id"] == "p1" and got[2]["object_id"] == "a/m", got[:3]
        assert got[4]["object_id"] == "default", got[4]
        assert "api_key" in got[0]["fields"], got[0]
        by_scoped = [e for e in got if e["actor"]["hash_prefix"] == scoped_hash[:16]]
        assert len(by_scoped) == 1 and by_scoped[0]["object_id"] == k3, by_scoped
        assert by_scoped[0]["actor"]["name"] == "acme ops" and by_scoped[0]["org_id"] == org

        # filters
        b = entries(c, f"?object_id={khash}")
        assert [e["method"] for e in b["data"]] == ["DELETE", "PATCH", "POST"], b
        assert all(e["org_id"] == org for e in b["data"]), b
        b = entries(c, "?object_type=provider")
        assert len(b["data"]) == 3, b
        b = entries(c, f"?actor={scoped_hash[:10]}")
        assert len(b["data"]) == 1, b
        b = entries(c, "?actor=acme%20ops")
        assert len(b["data"]) == 1, b
        b = entries(c, "?to=2000-01-01T00:00:00Z")
        assert b["data"] == [], b
        b = entries(c, "?from=2000-01-01T00:00:00Z&limit=3")
        assert len(b["data"]) == 3 and b["next_cursor"], b

        # paging: newest first, a cursor per page, every entry once
        seen, cursor = [], ""
        while True:
            b = entries(c, "?limit=7" + (f"&cursor={cursor}" if cursor else ""))
            seen += b["data"]
            cursor = b["next_cursor"]
            if not cursor:
                break
        assert [e["id"] for e in seen] == [e["id"] for e in reversed(got)], "paging"
        assert [e["id"] for e in seen] == sorted((e["id"] for e in seen), reverse=True)

        # an org-scoped key sees its org's entries only
        b = entries(c, "?limit=1000", key=scoped)
        assert b["data"] and all(e["org_id"] == org for e in b["data"]), b
        assert not any(e["object_type"] == "provider" for e in b["data"])
        s, b = c.admin("GET", f"/api/v1/audit?org_id={other}", key=scoped)
        assert s == 403 and b["error"]["metadata"]["field"] == "org_id", (s, b)
        for q, field in [("?limit=0", "limit"), ("?limit=x", "limit"), ("?from=yesterday", "from"),
                         ("?to=2026-13-01T00:00:00Z", "to")]:
            s, b = c.admin("GET", "/api/v1/audit" + q)
            assert s == 400 and b["error"]["metadata"]["field"] == field, (q, s, b)

        # the log survives a restart
        c.cp.stop()
        c.start_controlplane()
        assert len(entries(c, "?limit=1000")["data"]) == n
    print("ok")


if __name__ == "__main__":
    main()
