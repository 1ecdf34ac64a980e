"""402 for money: a prepaid org without credits (paid and free models alike), credits running
out at exactly the request they no longer cover, a top-up bringing service back, key limits
for every reset period (daily, weekly, monthly, never) and a postpaid org that needs no
credits. Response bodies are checked, and GET /key shows usage and limit_remaining live.
"""
import math

import sy_money as M
from sy_cluster import Cluster, http, wait_until


def new_key(c, org, **fields):
    s, b = c.admin("POST", "/api/v1/keys", dict({"name": "k", "org_id": org}, **fields))
    assert s == 201, (s, b)
    return b["key"], b["data"]["hash"]


def chat(c, dp, key, **kw):
    return c.chat(dp, key, M.body(**kw))


def served_until_402(c, dp, key, limit=20, **kw):
    """Requests until the first 402: (how many were served, the 402 body)."""
    for i in range(limit):
        s, b, _ = chat(c, dp, key, **kw)
        if s == 402:
            return i, b
        assert s == 200, (s, b)
    raise AssertionError(f"no 402 after {limit} requests")


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS)])
        c.start_controlplane(extra=["--lease-ttl-ms", "3000"])  # idle leases go back in 1s
        price = M.cost()
        org, key, _ = c.setup_demo(credits=None)
        c.add_model("mock/free", [("mock", "echo", "0", "0")])
        dp = c.start_dataplane()
        c.wait_models(dp, key, "mock/echo", "mock/free")

        # ---- prepaid without credits: 402, free models included --------------------------
        s, b, _ = chat(c, dp, key)
        e = M.is_error(b, 402, "insufficient_credits")
        assert s == 402 and "credits" in e["message"].lower(), (s, b)
        s, b, _ = chat(c, dp, key, model="mock/free:free")
        assert s == 402, (s, b)
        M.is_error(b, 402, "insufficient_credits")
        assert M.dp_credits(dp, key) == {"total_credits": 0.0, "total_usage": 0.0}

        # ---- credits for exactly 3 requests: the 4th gets 402 -------------------------------
        s, b = c.admin("POST", f"/api/v1/orgs/{org}/credits",
                       {"amount": float(price * 3), "note": "three requests"})
        assert s == 201, (s, b)
        M.wait_dp_credits(dp, key, price * 3)
        n, b = served_until_402(c, dp, key)
        assert n == 3, n
        M.is_error(b, 402, "insufficient_credits")
        M.wait_settled(c, org, posted=price * 3)
        wait_until(lambda: math.isclose(M.dp_credits(dp, key)["total_usage"], float(price * 3),
                                        abs_tol=1e-12), 10, 0.05, what="spend on the dataplane")
        # a free model is fine while the org's balance is positive ... but it is 0 now, once
        # the settled balance (published at most --publish-ms after settling) reaches the
        # dataplane; total_usage above may count spend the dataplane settled itself before
        s, b = wait_until(lambda: (lambda r: r[:2] if r[0] == 402 else None)(
            chat(c, dp, key, model="mock/free:free")), 5, 0.05, what="402 on a free model")
        assert s == 402, (s, b)

        # ---- a top-up brings service back ---------------------------------------------------
        s, b = c.admin("POST", f"/api/v1/orgs/{org}/credits", {"amount": 1})
        assert s == 201 and b["data"]["entry"]["seq"] == 2, b
        M.wait_dp_credits(dp, key, price * 3 + 1)
        s, b, _ = chat(c, dp, key)
        assert s == 200, (s, b)
        s, b, _ = chat(c, dp, key, model="mock/free:free")
        assert s == 200 and b["usage"]["cost"] == 0, (s, b)

        # ---- key limits, one per reset period -----------------------------------------------
        limit = float(price) * 2.5  # two requests fit, the third does not
        for reset in ("daily", "weekly", "monthly", None):
            k, h = new_key(c, org, limit=limit, limit_reset=reset)
            M.wait_key(dp, k)
            n, b = served_until_402(c, dp, k)
            assert n == 2, (reset, n)
            e = M.is_error(b, 402, "key_limit_exceeded")
            assert "limit" in e["message"].lower(), e
            # the limit is the key's: the org's other keys go on
            s, _, _ = chat(c, dp, key)
            assert s == 200, (reset, s)

            def key_view():
                s, b, _ = http("GET", dp.url + "/api/v1/key",
                               headers={"Authorization": "Bearer " + k})
                d = b["data"]
                return d if math.isclose(d["usage"], float(price * 2), abs_tol=1e-12) else None
            d = wait_until(key_view, 10, 0.1, what="key usage on the dataplane")
            assert math.isclose(d["limit"], limit, abs_tol=1e-12), d
            assert d["limit_reset"] == reset, d
            assert math.isclose(d["limit_remaining"], limit - float(price * 2), abs_tol=1e-12), d
            for p in ("usage_daily", "usage_weekly", "usage_monthly"):
                assert math.isclose(d[p], float(price * 2), abs_tol=1e-12), (p, d)
            s, a = c.admin("GET", f"/api/v1/keys/{h}")
            assert s == 200 and math.isclose(a["data"]["usage"], float(price * 2),
                                             abs_tol=1e-12), a
            print(f"key limit ({reset}): 2 served, then 402; limit_remaining "
                  f"{d['limit_remaining']}")

        # ---- postpaid: no credits needed ------------------------------------------------------
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "postpaid-co"})
        org2 = b["data"]["id"]
        k2, _ = new_key(c, org2)
        M.wait_key(dp, k2)
        s, b, _ = chat(c, dp, k2)
        assert s == 402, (s, b)
        s, b = c.admin("PATCH", f"/api/v1/orgs/{org2}", {"billing": "postpaid"})
        assert s == 200 and b["data"]["billing"] == "postpaid", b
        s, b = c.admin("PATCH", f"/api/v1/orgs/{org2}", {"billing": "monthly"})
        assert s == 400 and b["error"]["metadata"]["field"] == "billing", b
        wait_until(lambda: chat(c, dp, k2)[0] == 200, 10, 0.1, what="postpaid org served")
        s, b, _ = chat(c, dp, k2)
        assert s == 200, (s, b)
        m = M.credits(c, org2)
        assert m["billing"] == "postpaid" and m["total_credits"] == 0, m
        m = M.wait_settled(c, org2)
        assert m["balance"] < 0 and m["debits_posted"] > 0, m  # spend is tracked

        dp.stop()
        assert c.cp.stop() == 0
        rc, out = M.audit(c)
        assert rc == 0, out


if __name__ == "__main__":
    main()
