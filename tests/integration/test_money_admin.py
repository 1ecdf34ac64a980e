"""The money side of the admin API: credit top-ups and refunds with their ledger (bad bodies
refused, changing nothing), an org-scoped management key kept to its own org, activity
aggregated by day, model and key with from/to filters, the same as CSV, and the audit
command's exit codes.
"""
import csv
import io
import os
import subprocess
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import sy_money as M
from sy_cluster import BIN, Cluster, http


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS)])
        c.start_controlplane(extra=["--lease-ttl-ms", "3000"])
        org, key, h = c.setup_demo(credits=None)
        c.add_model("mock/other", [("mock", "echo")])
        dp = c.start_dataplane()
        c.wait_models(dp, key, "mock/echo", "mock/other")

        # ---- credits and the ledger -----------------------------------------------------------
        url = f"/api/v1/orgs/{org}/credits"
        s, b = c.admin("GET", url)
        assert s == 200 and b["data"]["total_credits"] == 0 and b["data"]["balance"] == 0, b
        assert b["data"]["billing"] == "prepaid", b
        for bad, field in (({}, "amount"), ({"amount": 0}, "amount"), ({"amount": "5"}, "amount"),
                           ({"amount": 1e9}, "amount"), ({"amount": 5, "note": 7}, "note"),
                           ({"amount": 5, "note": "x" * 300}, "note")):
            s, b = c.admin("POST", url, bad)
            assert s == 400 and b["error"]["metadata"]["field"] == field, (bad, s, b)
        s, b = c.admin("POST", url, "not json")
        assert s == 400, (s, b)
        s, b = c.admin("POST", url, {"amount": -1})  # more than the balance
        assert s == 409 and b["error"]["metadata"]["field"] == "amount", (s, b)
        s, b = c.admin("POST", url, {"amount": 12.5, "note": "invoice 42"})
        assert s == 201, (s, b)
        e = b["data"]["entry"]
        assert e["seq"] == 1 and e["amount"] == 12.5 and e["note"] == "invoice 42", e
        assert e["credits_after"] == 12.5 and e["created_at"].endswith("Z"), e
        assert b["data"]["credits"]["total_credits"] == 12.5, b
        s, b = c.admin("POST", url, {"amount": -2.5, "note": "refund"})
        assert s == 201 and b["data"]["credits"]["balance"] == 10, b
        s, b = c.admin("GET", f"/api/v1/orgs/{org}/ledger")
        assert s == 200 and [(x["seq"], x["amount"], x["credits_after"]) for x in b["data"]] == \
            [(1, 12.5, 12.5), (2, -2.5, 10)], b
        s, b = c.admin("GET", f"/api/v1/orgs/{org}/credits/x")
        assert s == 404, (s, b)
        s, b = c.admin("DELETE", url)
        assert s == 405, (s, b)
        s, b = c.admin("GET", "/api/v1/orgs/org_nope/ledger")
        assert s == 404, (s, b)
        s, b = c.admin("GET", f"/api/v1/orgs/{org}")
        assert b["data"]["billing"] == "prepaid", b

        # ---- an org-scoped management key sees only its org ------------------------------------
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "other"})
        other = b["data"]["id"]
        s, b = c.admin("POST", "/api/v1/management-keys", {"name": "scoped", "org_id": other})
        assert s == 201, (s, b)
        scoped = b["key"]
        s, b = c.admin("GET", f"/api/v1/orgs/{org}/credits", key=scoped)
        assert s == 404, (s, b)
        s, b = c.admin("POST", f"/api/v1/orgs/{org}/credits", {"amount": 1}, key=scoped)
        assert s == 404, (s, b)
        s, b = c.admin("GET", f"/api/v1/activity?org_id={org}", key=scoped)
        assert s == 403 and b["error"]["metadata"]["field"] == "org_id", (s, b)
        s, b = c.admin("GET", f"/api/v1/orgs/{other}/credits", key=scoped)
        assert s == 200 and b["data"]["total_credits"] == 0, (s, b)
        s, b = c.admin("GET", "/api/v1/activity", key=scoped)  # defaults to its own org
        assert s == 200 and b["org_id"] == other and b["data"] == [], (s, b)

        # ---- activity -----------------------------------------------------------------------------
        s, b2 = c.admin("POST", "/api/v1/keys", {"name": "k2", "org_id": org})
        key2, h2 = b2["key"], b2["data"]["hash"]
        M.wait_key(dp, key2)
        for k, model, n in ((key, "mock/echo", 3), (key, "mock/other", 2), (key2, "mock/echo", 1)):
            for _ in range(n):
                s, b, _ = c.chat(dp, k, M.body(model=model))
                assert s == 200, (s, b)
        price = M.cost()
        M.wait_settled(c, org, posted=price * 6)

        def activity(q):
            s, b = c.admin("GET", f"/api/v1/activity?org_id={org}{q}")
            assert s == 200, (q, s, b)
            return b
        today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        b = activity("&group_by=day")
        assert b["group_by"] == "day" and len(b["data"]) == 1, b
        d = b["data"][0]
        assert d["date"] == today and d["requests"] == 6, d
        assert abs(Decimal(str(d["usage"])) - price * 6) < Decimal("1e-12"), d
        assert d["prompt_tokens"] == 18 and d["completion_tokens"] == 96, d
        b = activity("&group_by=model")
        assert {r["model"]: r["requests"] for r in b["data"]} == \
            {"mock/echo": 4, "mock/other": 2}, b
        b = activity("&group_by=key")
        assert {r["key_hash"]: r["requests"] for r in b["data"]} == {h: 5, h2: 1}, b
        tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d")
        assert activity(f"&from={tomorrow}")["data"] == []
        day = activity(f"&from={today}&to={tomorrow}&group_by=day")
        assert day["data"][0]["requests"] == 6
        for q, field in ((f"org_id={org}&group_by=hour", "group_by"),
                         (f"org_id={org}&from=yesterday", "from"),
                         (f"org_id={org}&from={tomorrow}&to={today}", "to"),
                         ("org_id=a/b", "org_id")):
            s, b = c.admin("GET", f"/api/v1/activity?{q}")
            assert s == 400 and b["error"]["metadata"]["field"] == field, (q, s, b)

        # the same as CSV
        st, text, hd = http("GET", f"http://127.0.0.1:{c.admin_port}/api/v1/activity.csv"
                            f"?org_id={org}&group_by=model",
                            headers={"Authorization": "Bearer " + c.admin_key})
        assert st == 200 and hd["Content-Type"].startswith("text/csv"), (st, dict(hd))
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["model"] for r in rows] == ["mock/echo", "mock/other"], rows
        assert rows[0]["requests"] == "4" and Decimal(rows[0]["usage"]) == price * 4, rows
        assert rows[1]["completion_tokens"] == "32", rows

        # ---- the audit ------------------------------------------------------------------------------
        dp.stop()
        rc, out = M.audit(c)  # beside the running controlplane
        assert rc == 0 and "invariants hold" in out, out
        assert f"org {org}: credits 10, posted {(price * 6).normalize()}," in out, out
        assert c.cp.stop() == 0
        rc, out = M.audit(c)
        assert rc == 0, out
        p = subprocess.run([os.path.join(BIN, "switchyard-controlplane"), "--audit",
                            "--data-dir", os.path.join(c.dir, "nowhere")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        assert p.returncode == 1 and b"no store" in p.stdout, p
        assert not os.path.exists(os.path.join(c.dir, "nowhere"))


if __name__ == "__main__":
    main()
