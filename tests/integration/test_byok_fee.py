"""The BYOK fee: a generation served with the org's own credential keeps the provider's price
as its cost (usage.cost, GET /generation) while the org is charged only a fee of it, after a
number of free BYOK requests a month (here --byok-free-requests 2, --byok-fee-bp 500: 5 %).
Settled exactly: the org's posted debits, GET /credits, the key's usage and byok_usage and
the activity (usage: the charge; byok_usage_inference: the provider price) agree to the unit.
A key limit counts a BYOK request's fee only, or its whole provider price with
include_byok_in_limit. `switchyard-controlplane --audit` is clean.
"""
import math
from decimal import Decimal

import sy_money as M
from sy_cluster import Cluster, http, wait_until

FEE = Decimal("0.05")


def close(a, b):
    return math.isclose(float(a), float(b), abs_tol=1e-12)


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS)])
        c.start_controlplane(extra=["--lease-ttl-ms", "3000", "--byok-free-requests", "2",
                                    "--byok-fee-bp", "500"])
        org, key, khash = c.setup_demo(credits=1)
        dp = c.start_dataplane()
        c.wait_models(dp, key, "mock/echo")
        price = M.cost()  # 0.000035: its 5 % is exact in money units
        charged = Decimal(0)

        s, b, _ = c.chat(dp, key, M.body())
        assert s == 200 and b["usage"]["is_byok"] is False and close(b["usage"]["cost"], price)
        charged += price
        s, b = c.admin("PUT", f"/api/v1/orgs/{org}/credentials/mock", {"api_key": "sk-own"})
        assert s == 201, (s, b)

        byok = []  # (response body, generation id) of the BYOK requests

        def one():
            nonlocal charged
            s, b, h = c.chat(dp, key, M.body())
            assert s == 200 and close(b["usage"]["cost"], price), (s, b)
            if not b["usage"]["is_byok"]:
                charged += price  # the credential had not reached the worker yet
                return None
            assert close(b["usage"]["cost_details"]["upstream_inference_cost"], price), b
            byok.append((b, h["X-Generation-Id"]))
            return True
        wait_until(one, 10, 0.05, "the org's credential on the dataplane")
        one()
        assert len(byok) == 2
        # the month's two free BYOK requests cost the org nothing
        M.wait_settled(c, org, posted=charged)
        for _ in range(3):
            assert one()
        charged += 3 * price * FEE  # past the free ones: 5 % of the provider price
        m = M.wait_settled(c, org, posted=charged)
        assert close(m["balance"], 1 - charged), m
        assert close(M.dp_credits(dp, key)["total_usage"], charged) or wait_until(
            lambda: close(M.dp_credits(dp, key)["total_usage"], charged), 10, 0.05,
            "total_usage on the dataplane")

        # the generation shows what the provider bills the org's credential
        for b, gid in byok:
            g = c.generation(dp, key, gid)
            assert g["is_byok"] is True and close(g["total_cost"], price), g

        # the key counts what the org is charged; byok_usage is the provider price
        byok_price = len(byok) * price

        def key_usage():
            s, b, _ = http("GET", dp.url + "/api/v1/key",
                           headers={"Authorization": "Bearer " + key})
            return s == 200 and close(b["data"]["usage"], charged) and b["data"]
        d = wait_until(key_usage, 10, 0.05, "the key's usage on the dataplane")
        s, b = c.admin("GET", f"/api/v1/keys/{khash}")
        assert s == 200 and close(b["data"]["usage"], charged), (s, b)
        for view in (d, b["data"]):
            for f in ("byok_usage", "byok_usage_daily", "byok_usage_weekly",
                      "byok_usage_monthly"):
                assert close(view[f], byok_price), (f, view)

        # activity: usage is the charge, byok_usage_inference the BYOK provider price
        s, b = c.admin("GET", f"/api/v1/activity?org_id={org}")
        assert s == 200 and len(b["data"]) == 1, (s, b)
        row = b["data"][0]
        plain = round((charged - 3 * price * FEE) / price)  # requests served without BYOK
        assert row["requests"] == plain + len(byok) == plain + 5, row
        assert close(row["usage"], charged), (row, charged)
        assert close(row["byok_usage_inference"], len(byok) * price), row

        # key limits: a BYOK request counts its fee, or all its price when included
        limit = Decimal("0.0001")  # 2 BYOK requests' price (0.000035 each) fit, not 3
        keys = {}
        for inc in (False, True):
            s, b = c.admin("POST", "/api/v1/keys", {"name": f"inc-{inc}", "org_id": org,
                                                    "limit": float(limit),
                                                    "include_byok_in_limit": inc})
            assert s == 201 and b["data"]["include_byok_in_limit"] is inc, (s, b)
            keys[inc] = b["key"]
        M.wait_key(dp, *keys.values())
        # more than the limit's worth of provider price, each request settled before the next
        # (the worker reserves, and takes from its lease, a BYOK request's whole price until
        # the controlplane settles its fee: docs/money.md)
        for _ in range(4):
            s, b, _ = c.chat(dp, keys[False], M.body())
            assert s == 200 and b["usage"]["is_byok"] is True, (s, b)
            charged += price * FEE
            M.wait_settled(c, org, posted=charged)
        for _ in range(2):
            s, b, _ = c.chat(dp, keys[True], M.body())
            assert s == 200 and b["usage"]["is_byok"] is True, (s, b)
        charged += 2 * price * FEE
        M.wait_settled(c, org, posted=charged)
        s, b, _ = c.chat(dp, keys[True], M.body())
        M.is_error(b, 402, "key_limit_exceeded")
        for inc, used in ((False, 4 * price * FEE), (True, 2 * price)):
            def shown():
                s, b, _ = http("GET", dp.url + "/api/v1/key",
                               headers={"Authorization": "Bearer " + keys[inc]})
                return s == 200 and close(b["data"]["limit_remaining"], limit - used) and \
                    b["data"]
            d = wait_until(shown, 10, 0.05, f"limit_remaining with include {inc}")
            assert close(d["usage"], 2 * price * FEE if inc else used), d
            assert d["include_byok_in_limit"] is inc, d

        rc, out = M.audit(c)
        assert rc == 0, out
    print("ok")


if __name__ == "__main__":
    main()
