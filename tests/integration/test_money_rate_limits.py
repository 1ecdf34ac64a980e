"""Rate limits, each 429 with Retry-After and X-RateLimit-Limit/-Remaining/-Reset: a key's
requests per minute and per day (set through the admin API), `:free` models' 20 per minute per
key, and the org's daily `:free` allowance: 50 while it has bought less than $10 of credits,
1000 once it has.
"""
import time

import sy_money as M
from sy_cluster import Cluster, http, wait_until


def check_429(s, b, h, limit, window_s):
    assert s == 429, (s, b)
    e = M.is_error(b, 429, "rate_limited")
    assert str(limit) in e["message"], e
    assert h["X-RateLimit-Limit"] == str(limit), dict(h)
    assert h["X-RateLimit-Remaining"] == "0", dict(h)
    reset_ms = int(h["X-RateLimit-Reset"])
    now = time.time()
    assert now * 1000 < reset_ms <= (now + window_s + 1) * 1000, (reset_ms, now)
    retry = int(h["Retry-After"])
    assert 1 <= retry <= window_s and abs(reset_ms / 1000 - now - retry) <= 2, (retry, reset_ms)
    return e


def new_key(c, org, **fields):
    s, b = c.admin("POST", "/api/v1/keys", dict({"name": "k", "org_id": org}, **fields))
    assert s == 201, (s, b)
    return b["key"]


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS)])
        c.start_controlplane()
        org, key, h = c.setup_demo(credits=5)  # bought less than $10
        c.add_model("mock/free", [("mock", "echo", "0", "0")])
        dp = c.start_dataplane()
        c.wait_models(dp, key, "mock/echo", "mock/free")
        M.wait_minute_start()

        # ---- requests per minute on a key ---------------------------------------------------
        s, b = c.admin("PATCH", f"/api/v1/keys/{h}", {"rpm": 3})
        assert s == 200 and b["data"]["rpm"] == 3, b
        s, b = c.admin("PATCH", f"/api/v1/keys/{h}", {"rpm": 0})
        assert s == 400 and b["error"]["metadata"]["field"] == "rpm", b
        wait_until(lambda: http("GET", dp.url + "/api/v1/key",
                                headers={"Authorization": "Bearer " + key})[1]["data"]
                   ["rate_limit"]["requests"] == 3, 10, 0.05, what="rpm on the dataplane")
        for _ in range(3):
            s, b, _ = c.chat(dp, key, M.body())
            assert s == 200, (s, b)
        s, b, hd = c.chat(dp, key, M.body())
        check_429(s, b, hd, 3, 60)
        print("rpm 3: 3 served, then 429")

        # ---- requests per day ----------------------------------------------------------------
        k2 = new_key(c, org, rpd=2)
        M.wait_key(dp, k2)
        for _ in range(2):
            s, b, _ = c.chat(dp, k2, M.body())
            assert s == 200, (s, b)
        s, b, hd = c.chat(dp, k2, M.body())
        e = check_429(s, b, hd, 2, 86400)
        assert "per day" in e["message"], e

        # ---- :free models: 20 a minute per key ------------------------------------------------
        k3 = new_key(c, org)
        M.wait_key(dp, k3)
        for i in range(20):
            s, b, _ = c.chat(dp, k3, M.body(model="mock/free:free"))
            assert s == 200 and b["usage"]["cost"] == 0, (i, s, b)
        s, b, hd = c.chat(dp, k3, M.body(model="mock/free:free"))
        e = check_429(s, b, hd, 20, 60)
        assert ":free" in e["message"], e
        assert c.chat(dp, k3, M.body())[0] == 200  # paid models are not counted there

        # ---- the org's :free day: 50 while it bought less than $10 ----------------------------
        # k3 used 20 already; two more keys bring the org to 50
        k4, k5 = new_key(c, org), new_key(c, org)
        M.wait_key(dp, k4, k5)
        for k, n in ((k4, 20), (k5, 10)):
            for i in range(n):
                s, b, _ = c.chat(dp, k, M.body(model="mock/free:free"))
                assert s == 200, (i, s, b)
        s, b, hd = c.chat(dp, k5, M.body(model="mock/free:free"))
        e = check_429(s, b, hd, 50, 86400)
        assert "$10" in e["message"], e
        print(":free: 20 per minute per key, 50 per day for the org")

        # buying credits to $10 in total lifts it to 1000
        assert c.admin("POST", f"/api/v1/orgs/{org}/credits", {"amount": 5})[0] == 201
        M.wait_dp_credits(dp, key, 10)
        s, b, _ = c.chat(dp, k5, M.body(model="mock/free:free"))
        assert s == 200, (s, b)

        dp.stop()
        assert c.cp.stop() == 0
        rc, out = M.audit(c)
        assert rc == 0, out


if __name__ == "__main__":
    main()
