"""The BYOK fee: a generation served with the org's own credential keeps the provider's price
as its cost (usage.cost, GET /generation) while the org is charged only a fee of it, after a
number of free BYOK requests a month (here --byok-free-requests 2, --byok-fee-bp 500: 5 %).
Settled exactly: the org's posted debits, GET /credits, the key's usage and the activity
(usage: the charge; byok_usage_inference: the provider price) agree to the unit, and
`switchyard-controlplane --audit` is clean.
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

        # the key counts what the org is charged
        def key_usage():
            s, b, _ = http("GET", dp.url + "/api/v1/key",
                           headers={"Authorization": "Bearer " + key})
            return s == 200 and close(b["data"]["usage"], charged) and b["data"]
        wait_until(key_usage, 10, 0.05, "the key's usage on the dataplane")
        s, b = c.admin("GET", f"/api/v1/keys/{khash}")
        assert s == 200 and close(b["data"]["usage"], charged), (s, b)

        # activity: usage is the charge, byok_usage_inference the BYOK provider price
        s, b = c.admin("GET", f"/api/v1/activity?org_id={org}")
        assert s == 200 and len(b["data"]) == 1, (s, b)
        row = b["data"][0]
        plain = round((charged - 3 * price * FEE) / price)  # requests served without BYOK
        assert row["requests"] == plain + len(byok) == plain + 5, row
        assert close(row["usage"], charged), (row, charged)
        assert close(row["byok_usage_inference"], len(byok) * price), row

        rc, out = M.audit(c)
        assert rc == 0, out
    print("ok")


if __name__ == "__main__":
    main()
