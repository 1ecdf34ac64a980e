"""A guardrail's spending limit (OpenRouter's guardrail budget: limit_usd with reset_interval,
per key it applies to, not shared): the assigned key is served until the limit, then gets 403
guardrail_budget_exceeded naming the period, while the org's other key goes on; the limit is
validated (both fields or neither) and shown; clearing it serves the key again; the audit is
clean. The next day's reset is tested in cp_money_test (test_guardrail_limits), where the
lease's clock is a parameter.
"""
import sy_money as M
from sy_cluster import Cluster, wait_until


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS)])
        c.start_controlplane(extra=["--lease-ttl-ms", "3000"])
        org, key, khash = c.setup_demo(credits=1)
        s, b = c.admin("POST", "/api/v1/keys", {"name": "other", "org_id": org})
        other = b["key"]
        dp = c.start_dataplane()
        c.wait_models(dp, key, "mock/echo")
        M.wait_key(dp, other)
        price = M.cost()  # 0.000035: 2 fit in 0.0001, not 3

        for body, field in [({"name": "x", "limit_usd": 1}, "reset_interval"),
                            ({"name": "x", "reset_interval": "daily"}, "limit_usd"),
                            ({"name": "x", "limit_usd": 1, "reset_interval": "hourly"},
                             "reset_interval"),
                            ({"name": "x", "limit_usd": -1, "reset_interval": "daily"},
                             "limit_usd")]:
            s, b = c.admin("POST", "/api/v1/guardrails", body)
            assert s == 400 and b["error"]["metadata"]["field"] == field, (body, s, b)
        s, b = c.admin("POST", "/api/v1/guardrails", {
            "name": "daily cap", "limit_usd": 0.0001, "reset_interval": "daily",
            "key_hashes": [khash]})
        assert s == 201, (s, b)
        gid = b["data"]["id"]
        assert b["data"]["limit_usd"] == 0.0001 and b["data"]["reset_interval"] == "daily", b

        for _ in range(2):
            s, b, _ = c.chat(dp, key, M.body())
            assert s == 200, (s, b)
        s, b, _ = c.chat(dp, key, M.body())
        e = M.is_error(b, 403, "guardrail_budget_exceeded")
        assert s == 403 and e["metadata"]["budget"] == "daily", (s, b)
        assert "daily" in e["message"], b
        for _ in range(3):  # the org's other key is not assigned the guardrail
            s, b, _ = c.chat(dp, other, M.body())
            assert s == 200, (s, b)
        M.wait_settled(c, org, posted=5 * price)
        s, b, _ = c.chat(dp, key, M.body())
        assert s == 403, (s, b)  # still used up once everything settled

        s, b = c.admin("PATCH", f"/api/v1/guardrails/{gid}",
                       {"limit_usd": None, "reset_interval": None})
        assert s == 200 and b["data"]["limit_usd"] is None, (s, b)
        wait_until(lambda: c.chat(dp, key, M.body())[0] == 200, 10, 0.1, "limit cleared")
        M.wait_settled(c, org, posted=6 * price)  # the 403s cost nothing
        rc, out = M.audit(c)
        assert rc == 0, out
    print("ok")


if __name__ == "__main__":
    main()
