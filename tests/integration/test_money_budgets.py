"""Org budgets (OpenRouter's workspace budgets): the admin API (PUT/GET/DELETE per period, a
narrower period must be smaller, bad bodies refused without changing anything), then 403 for
each period once its budget is used up, naming the broadest exceeded period when several
are; a postpaid org (no credits) is bounded by its budget alone; deleting the budget lets
requests through again.
"""
import math

import sy_money as M
from sy_cluster import Cluster, wait_until

PERIODS = ("daily", "weekly", "monthly", "lifetime")


def put(c, org, period, limit):
    return c.admin("PUT", f"/api/v1/orgs/{org}/budgets/{period}", {"limit_usd": limit})


def new_org(c, name, credits=None, billing=None):
    s, b = c.admin("POST", "/api/v1/orgs", {"name": name})
    org = b["data"]["id"]
    if credits:
        assert c.admin("POST", f"/api/v1/orgs/{org}/credits", {"amount": credits})[0] == 201
    if billing:
        assert c.admin("PATCH", f"/api/v1/orgs/{org}", {"billing": billing})[0] == 200
    s, b = c.admin("POST", "/api/v1/keys", {"name": "k", "org_id": org})
    assert s == 201, (s, b)
    return org, b["key"]


def served_until_403(c, dp, key, limit=20):
    for i in range(limit):
        s, b, _ = c.chat(dp, key, M.body())
        if s == 403:
            return i, b
        assert s == 200, (s, b)
    raise AssertionError(f"no 403 after {limit} requests")


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS)])
        c.start_controlplane(extra=["--lease-ttl-ms", "3000"])  # idle leases go back in 1s
        price = float(M.cost())
        org, key, _ = c.setup_demo(credits=10)
        dp = c.start_dataplane()
        c.wait_models(dp, key, "mock/echo")

        # ---- the admin API ------------------------------------------------------------------
        s, b = c.admin("GET", f"/api/v1/orgs/{org}/budgets")
        assert s == 200 and b["data"] == [], b
        s, b = c.admin("GET", f"/api/v1/orgs/{org}/budgets/daily")
        assert s == 404, (s, b)
        s, b = put(c, org, "monthly", 5)
        assert s == 200, (s, b)
        d = b["data"]
        assert d["period"] == "monthly" and d["limit_usd"] == 5 and d["spent_usd"] == 0, d
        assert d["remaining_usd"] == 5 and d["period_start"].endswith("T00:00:00Z"), d
        assert d["resets_at"] > d["period_start"], d
        # narrower must be smaller, broader larger
        s, b = put(c, org, "weekly", 6)
        assert s == 400 and b["error"]["metadata"]["field"] == "limit_usd", (s, b)
        assert "weekly" in b["error"]["message"] and "monthly" in b["error"]["message"], b
        s, b = put(c, org, "lifetime", 5)
        assert s == 400, (s, b)
        for bad in ({}, {"limit_usd": -1}, {"limit_usd": "5"}, {"limit_usd": 1e12}):
            s, b = c.admin("PUT", f"/api/v1/orgs/{org}/budgets/weekly", bad)
            assert s == 400 and b["error"]["metadata"]["field"] == "limit_usd", (bad, s, b)
        s, b = c.admin("PUT", f"/api/v1/orgs/{org}/budgets/yearly", {"limit_usd": 1})
        assert s == 404, (s, b)
        s, b = c.admin("POST", f"/api/v1/orgs/{org}/budgets/weekly", {"limit_usd": 1})
        assert s == 405, (s, b)
        s, b = c.admin("PUT", "/api/v1/orgs/org_nope/budgets/weekly", {"limit_usd": 1})
        assert s == 404, (s, b)
        s, b = c.admin("GET", f"/api/v1/orgs/{org}/budgets")
        assert [x["period"] for x in b["data"]] == ["monthly"], b  # the refusals changed nothing
        assert c.admin("DELETE", f"/api/v1/orgs/{org}/budgets/monthly") == (200, {"deleted": True})
        assert c.admin("DELETE", f"/api/v1/orgs/{org}/budgets/monthly")[0] == 404

        # ---- 403 per period: each budget fits two requests ----------------------------------
        for period in PERIODS:
            o, k = new_org(c, f"budget-{period}", credits=10)
            assert put(c, o, period, price * 2.5)[0] == 200
            M.wait_key(dp, k)
            n, b = served_until_403(c, dp, k)
            assert n == 2, (period, n)
            e = M.is_error(b, 403, "budget_exceeded")
            assert e["metadata"]["budget"] == period and period in e["message"], e
            # what was spent plus what a lease still holds never passes the budget
            def spent():
                s, g = c.admin("GET", f"/api/v1/orgs/{o}/budgets/{period}")
                d = g["data"]
                assert d["spent_usd"] + d["pending_usd"] <= price * 2.5 + 1e-12, d
                return d if math.isclose(d["spent_usd"], price * 2, abs_tol=1e-12) else None
            d = wait_until(spent, 10, 0.1, what=f"{period} spend settled")
            assert math.isclose(d["remaining_usd"], price * 0.5 - d["pending_usd"],
                                abs_tol=1e-12) or d["remaining_usd"] == 0, d
            print(f"{period} budget: 2 served, then 403")

        # ---- several exceeded: the broadest is named ------------------------------------------
        o, k = new_org(c, "budget-nested", credits=10)
        for period, mult in (("daily", 2.1), ("weekly", 2.2), ("monthly", 2.3)):
            s, b = put(c, o, period, price * mult)
            assert s == 200, (period, s, b)
        M.wait_key(dp, k)
        n, b = served_until_403(c, dp, k)
        assert n == 2, n
        e = M.is_error(b, 403, "budget_exceeded")
        assert e["metadata"]["budget"] == "monthly", e

        # ---- postpaid: no credits, bounded by its budget only -----------------------------------
        o, k = new_org(c, "postpaid-budget", billing="postpaid")
        assert put(c, o, "lifetime", price * 3.5)[0] == 200
        M.wait_key(dp, k)
        n, b = served_until_403(c, dp, k)
        assert n == 3, n
        assert M.is_error(b, 403, "budget_exceeded")["metadata"]["budget"] == "lifetime"
        m = M.wait_settled(c, o, posted=M.cost() * 3)
        assert m["billing"] == "postpaid" and m["balance"] < 0, m
        # the budget goes: requests go through again
        assert c.admin("DELETE", f"/api/v1/orgs/{o}/budgets/lifetime")[0] == 200
        wait_until(lambda: c.chat(dp, k, M.body())[0] == 200, 10, 0.1,
                   what="served again without the budget")

        dp.stop()
        assert c.cp.stop() == 0
        rc, out = M.audit(c)
        assert rc == 0, out


if __name__ == "__main__":
    main()
