"""Org-scoped management keys over HTTP: a key scoped to org A lists and changes only A and
its API keys (foreign ids 404, a foreign org_id 403), cannot touch management keys, orgs'
existence or the catalog (403), may read the catalog; the global key sees everything.
"""
import sys

from sy_cluster import Cluster


def main():
    with Cluster() as c:
        c.start_controlplane()
        orgs = {}
        for name in ("a", "b"):
            s, b = c.admin("POST", "/api/v1/orgs", {"name": name})
            orgs[name] = b["data"]["id"]
        a, b_ = orgs["a"], orgs["b"]
        s, b = c.admin("POST", "/api/v1/providers", {"slug": "mock",
                                                     "base_url": "http://127.0.0.1:9/v1"})
        assert s == 201, (s, b)
        s, b = c.admin("POST", "/api/v1/keys", {"name": "b-key", "org_id": b_})
        kb = b["data"]["hash"]
        s, b = c.admin("POST", "/api/v1/management-keys", {"name": "ops-a", "org_id": a})
        assert s == 201 and b["data"]["org_id"] == a, (s, b)
        assert b["key"].startswith("sk-sy-mgmt-v1-") and len(b["key"]) == 14 + 64, b
        scoped = b["key"]

        def sc(method, path, body=None):
            return c.admin(method, path, body, key=scoped)

        s, b = sc("POST", "/api/v1/keys", {"name": "a-key"})
        assert s == 201 and b["data"]["org_id"] == a, (s, b)
        ka = b["data"]["hash"]
        s, b = sc("GET", "/api/v1/orgs")
        assert s == 200 and [o["id"] for o in b["data"]] == [a], b
        s, b = sc("GET", "/api/v1/keys")
        assert s == 200 and [k["hash"] for k in b["data"]] == [ka], b
        assert sc("PATCH", f"/api/v1/keys/{ka}", {"limit": 3})[0] == 200
        assert sc("PATCH", f"/api/v1/orgs/{a}", {"name": "a2"})[0] == 200
        assert sc("GET", "/api/v1/providers")[0] == 200

        seq = c.admin("GET", "/health")[1]["seq"]
        refused = [
            ("GET", f"/api/v1/orgs/{b_}", None, 404),
            ("PATCH", f"/api/v1/orgs/{b_}", {"name": "x"}, 404),
            ("GET", f"/api/v1/keys/{kb}", None, 404),
            ("PATCH", f"/api/v1/keys/{kb}", {"disabled": True}, 404),
            ("DELETE", f"/api/v1/keys/{kb}", None, 404),
            ("POST", "/api/v1/keys", {"name": "x", "org_id": b_}, 403),
            ("GET", f"/api/v1/keys?org_id={b_}", None, 403),
            ("PATCH", f"/api/v1/keys/{ka}", {"org_id": b_}, 400),
            ("POST", "/api/v1/orgs", {"name": "c"}, 403),
            ("DELETE", f"/api/v1/orgs/{a}", None, 403),
            ("GET", "/api/v1/management-keys", None, 403),
            ("POST", "/api/v1/management-keys", {"name": "m"}, 403),
            ("POST", "/api/v1/providers", {"slug": "x", "base_url": "https://x"}, 403),
            ("PATCH", "/api/v1/providers/mock", {"name": "M"}, 403),
            ("DELETE", "/api/v1/providers/mock", None, 403),
            ("POST", "/api/v1/models", {"id": "a/b", "endpoints": [
                {"provider": "mock", "provider_model_id": "m",
                 "pricing": {"prompt": "0", "completion": "0"}}]}, 403),
        ]
        for method, path, body, want in refused:
            s, b = sc(method, path, body)
            assert s == want, (method, path, s, b)
            assert b["error"]["code"] == want, b
        assert c.admin("GET", "/health")[1]["seq"] == seq
        s, b = c.admin("GET", f"/api/v1/keys/{kb}")
        assert s == 200 and b["data"]["disabled"] is False, b

        # the global key sees both orgs and every key
        s, b = c.admin("GET", "/api/v1/orgs")
        assert sorted(o["id"] for o in b["data"]) == sorted([a, b_]), b
        s, b = c.admin("GET", "/api/v1/keys")
        assert sorted(k["hash"] for k in b["data"]) == sorted([ka, kb]), b
        s, b = c.admin("GET", f"/api/v1/keys?org_id={b_}")
        assert [k["hash"] for k in b["data"]] == [kb], b
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
