"""Admin API error cases over real HTTP, each in OpenRouter's error envelope and none changing
anything: 401 without or with a bad key (and for an inference key), 404 unknown ids and
routes, 405, 400 naming each bad field, 409 deleting an org that has active keys, 413 for an
oversized body. Then the happy path of the same calls works.
"""
import sys
import urllib.request

from sy_cluster import Cluster, http


def err(status_body):
    s, b = status_body
    assert isinstance(b, dict) and set(b) == {"error"}, b
    assert b["error"]["code"] == s and b["error"]["message"], b
    return s, b["error"]


def main():
    with Cluster() as c:
        c.start_controlplane()
        base = f"http://127.0.0.1:{c.admin_port}"
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "acme"})
        assert s == 201, (s, b)
        org = b["data"]["id"]
        s, b = c.admin("POST", "/api/v1/keys", {"name": "k", "org_id": org})
        key, h = b["key"], b["data"]["hash"]
        # a second org: with exactly one, a key without org_id would land in it
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "other"})
        assert s == 201, (s, b)
        other = b["data"]["id"]
        seq = c.admin("GET", "/health")[1]["seq"]

        # 401
        s, b, _ = http("GET", base + "/api/v1/orgs")
        assert err((s, b))[0] == 401, (s, b)
        s, b, _ = http("GET", base + "/api/v1/orgs", headers={"Authorization": "Bearer nope"})
        assert err((s, b))[0] == 401, (s, b)
        s, e = err(c.admin("GET", "/api/v1/orgs", key="sk-sy-mgmt-v1-" + "cd" * 32))
        assert s == 401, e
        s, e = err(c.admin("GET", "/api/v1/orgs", key=key))
        assert s == 401 and "management key" in e["message"], e
        s, e = err(c.admin("POST", "/api/v1/orgs", {"name": "x"}, key=key))
        assert s == 401, e

        # 404 / 405
        assert err(c.admin("GET", "/api/v1/orgs/org_missing"))[0] == 404
        assert err(c.admin("PATCH", "/api/v1/keys/" + "0" * 64, {"name": "x"}))[0] == 404
        assert err(c.admin("DELETE", "/api/v1/providers/none"))[0] == 404
        assert err(c.admin("GET", "/api/v1/models/no/such"))[0] == 404
        assert err(c.admin("GET", "/api/v1/nothing"))[0] == 404
        assert err(c.admin("GET", "/nothing"))[0] == 404
        assert err(c.admin("DELETE", "/api/v1/keys"))[0] == 405

        # 400 per field
        cases = [
            ("POST", "/api/v1/orgs", {}, "name"),
            ("POST", "/api/v1/orgs", {"name": "x", "postpaid": "no"}, "postpaid"),
            ("POST", "/api/v1/keys", {"org_id": org}, "name"),
            ("POST", "/api/v1/keys", {"name": "k"}, "org_id"),
            ("POST", "/api/v1/keys", {"name": "k", "org_id": "org_nope"}, "org_id"),
            ("POST", "/api/v1/keys", {"name": "k", "org_id": org, "limit": "ten"}, "limit"),
            ("POST", "/api/v1/keys", {"name": "k", "org_id": org, "limit_reset": "hourly"},
             "limit_reset"),
            ("POST", "/api/v1/keys", {"name": "k", "org_id": org, "expires_at": "soon"},
             "expires_at"),
            ("POST", "/api/v1/keys", {"name": "k", "org_id": org, "rpm": -1}, "rpm"),
            ("PATCH", f"/api/v1/keys/{h}", {"disabled": "true"}, "disabled"),
            ("PATCH", f"/api/v1/keys/{h}", {"include_byok_in_limit": 3},
             "include_byok_in_limit"),
            ("POST", "/api/v1/providers", {"slug": "UPPER", "base_url": "https://x"}, "slug"),
            ("POST", "/api/v1/providers", {"slug": "p", "base_url": "x"}, "base_url"),
            ("POST", "/api/v1/providers", {"slug": "p", "base_url": "https://x",
                                           "adapter": "cobol"}, "adapter"),
            ("POST", "/api/v1/models", {"id": "bad", "endpoints": []}, "id"),
            ("POST", "/api/v1/models", {"id": "a/b"}, "endpoints"),
            ("POST", "/api/v1/models", {"id": "a/b", "endpoints": [
                {"provider": "ghost", "provider_model_id": "m",
                 "pricing": {"prompt": "0", "completion": "0"}}]}, "endpoints[0].provider"),
            ("POST", "/api/v1/management-keys", {"name": ""}, "name"),
        ]
        for method, path, body, field in cases:
            s, e = err(c.admin(method, path, body))
            assert s == 400, (method, path, body, s, e)
            assert e["metadata"]["field"] == field, (method, path, body, e)
            assert e["message"].startswith(field + ": "), e
        s, b, _ = http("POST", base + "/api/v1/orgs", b"{broken",
                       {"Authorization": "Bearer " + c.admin_key})
        assert err((s, b))[0] == 400, (s, b)

        # 409: an org with an active key
        s, e = err(c.admin("DELETE", f"/api/v1/orgs/{org}"))
        assert s == 409 and "active" in e["message"], e
        # 413: body over the cap
        s, b, _ = http("POST", base + "/api/v1/orgs", b'{"name":"' + b"x" * (2 << 20) + b'"}',
                       {"Authorization": "Bearer " + c.admin_key})
        assert err((s, b))[0] == 413, (s, b)

        # nothing above changed anything
        assert c.admin("GET", "/health")[1]["seq"] == seq
        s, b = c.admin("GET", "/api/v1/orgs")
        assert s == 200 and {o["id"] for o in b["data"]} == {org, other}, b

        # the happy path of the same calls
        assert c.admin("PATCH", f"/api/v1/keys/{h}", {"disabled": True})[0] == 200
        s, b = c.admin("DELETE", f"/api/v1/orgs/{org}")
        assert s == 200 and b == {"deleted": True}, (s, b)
        assert c.admin("GET", f"/api/v1/keys/{h}")[0] == 404
        # responses are JSON
        req = urllib.request.Request(base + "/api/v1/orgs",
                                     headers={"Authorization": "Bearer " + c.admin_key})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.headers["Content-Type"] == "application/json"
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
