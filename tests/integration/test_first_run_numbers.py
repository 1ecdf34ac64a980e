"""The numbers a new user reads are true:
- an admin body with a field the API does not know gets a 400 naming it and changes nothing
  (`{"limt": 5}` must not create an unlimited key), on every kind of body;
- GET /credits' total_usage is money spent, exactly the generations' costs, while the
  workers' leases hold more (the admin API shows that as debits_pending);
- GET /generation?id= answers 200 for a generation the caller has just received, on the
  first call;
- every error envelope carries `metadata` (401, 404 route, 405, 413 on the dataplane; 401,
  404 and 405 on the admin API).
"""
import http.client as hc
import math
import sys

import sy_money as M
from sy_cluster import Cluster, http, wait_until


def raw(port, method, path, body=b"", headers=None):
    c = hc.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        import json
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


def has_envelope(status, body, code):
    assert status == code, (status, body)
    e = body["error"]
    assert e["code"] == code and e["message"], body
    assert isinstance(e.get("metadata"), dict), f"no metadata object in {body}"


def check_unknown_fields(c, org):
    s, keys = c.admin("GET", f"/api/v1/keys?org_id={org}")
    before = len(keys["data"])
    cases = [
        ("POST", "/api/v1/keys", {"name": "typo", "org_id": org, "limt": 5}, "limt"),
        ("POST", "/api/v1/keys", {"name": "x", "org_id": org, "allowed_model": ["a/b"]},
         "allowed_model"),
        ("POST", "/api/v1/orgs", {"name": "o2", "bilin": "postpaid"}, "bilin"),
        ("PATCH", f"/api/v1/orgs/{org}", {"name": "renamed", "created_at": "x"}, "created_at"),
        ("POST", f"/api/v1/orgs/{org}/credits", {"amount": 5, "nte": "typo"}, "nte"),
        ("PUT", f"/api/v1/orgs/{org}/budgets/daily", {"limit": 5}, "limit"),
        ("POST", "/api/v1/models", {"id": "x/y", "endpoints": [
            {"provider": "mock", "provider_model_id": "echo",
             "pricing": {"prompt": "0", "completion": "0", "promt": "1"}}]},
         "endpoints[0].pricing.promt"),
        ("PUT", "/api/v1/auto-router", {"default_model": "mock/echo", "fallback": "x"},
         "fallback"),
        ("POST", "/api/v1/management-keys", {"name": "m", "scope": "all"}, "scope"),
    ]
    for method, path, body, field in cases:
        s, b = c.admin(method, path, body)
        has_envelope(s, b, 400)
        assert b["error"]["metadata"].get("field") == field, (path, b)
        assert field in b["error"]["message"], (path, b)
    s, keys = c.admin("GET", f"/api/v1/keys?org_id={org}")
    assert len(keys["data"]) == before, keys
    s, o = c.admin("GET", f"/api/v1/orgs/{org}")
    assert o["data"]["name"] == "acme", o
    credits = M.credits(c, org)
    assert credits["total_credits"] == 100.0, credits
    s, b = c.admin("GET", f"/api/v1/orgs/{org}/budgets/daily")
    assert s == 404, (s, b)


def check_credits_and_generations(c, dp, key, org):
    costs = []
    for i in range(5):
        s, b, h = c.chat(dp, key, M.body())
        assert s == 200, (s, b)
        # The generation the client just got answers at once: no retry loop here.
        gs, gb, _ = http("GET", f"{dp.url}/api/v1/generation?id={b['id']}",
                         headers={"Authorization": "Bearer " + key})
        assert gs == 200, (i, gs, gb)
        assert gb["data"]["id"] == b["id"], gb
        assert math.isclose(gb["data"]["total_cost"], b["usage"]["cost"], abs_tol=1e-12), gb
        costs.append(b["usage"]["cost"])
    spent = sum(costs)
    # The worker's lease holds far more than was spent; total_usage is what was spent.
    m = M.credits(c, org)
    assert m["debits_pending"] > spent, m
    wait_until(lambda: math.isclose(M.dp_credits(dp, key)["total_usage"], spent,
                                    abs_tol=1e-9), 10, what="total_usage = money spent")
    d = M.dp_credits(dp, key)
    assert d["total_credits"] == 100.0, d
    m = M.credits(c, org)
    assert math.isclose(m["total_usage"], spent, abs_tol=1e-9), (m, spent)
    assert m["debits_pending"] > 0, m
    # An id from an hour ago that does not exist is a plain 404, without waiting.
    s, b, _ = http("GET", f"{dp.url}/api/v1/generation?id=gen-1700000000-AAAAAAAAAAAAAAAAAAAA",
                   headers={"Authorization": "Bearer " + key})
    has_envelope(s, b, 404)


def check_envelopes(c, dp, key):
    port = int(dp.url.rsplit(":", 1)[1])
    s, b = raw(port, "POST", "/api/v1/chat/completions", b"{}")
    has_envelope(s, b, 401)
    s, b = raw(port, "GET", "/api/v1/no-such-route", headers={"Authorization": "Bearer " + key})
    has_envelope(s, b, 404)
    s, b = raw(port, "DELETE", "/api/v1/models", headers={"Authorization": "Bearer " + key})
    has_envelope(s, b, 405)
    big = b'{"model":"mock/echo","messages":[{"role":"user","content":"' + b"x" * 8000 + b'"}]}'
    s, b = raw(port, "POST", "/api/v1/chat/completions", big,
               {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    has_envelope(s, b, 413)
    s, b = raw(c.admin_port, "GET", "/api/v1/orgs")
    has_envelope(s, b, 401)
    s, b = c.admin("GET", "/api/v1/no-such-thing")
    has_envelope(s, b, 404)
    s, b = c.admin("PUT", "/api/v1/orgs")
    has_envelope(s, b, 405)


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS)])
        c.start_controlplane()
        org, key, _ = c.setup_demo()
        dp = c.start_dataplane(workers=2, extra=["--max-body-kb", "4"])
        c.wait_models(dp, key, "mock/echo")
        check_unknown_fields(c, org)
        check_credits_and_generations(c, dp, key, org)
        check_envelopes(c, dp, key)
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
