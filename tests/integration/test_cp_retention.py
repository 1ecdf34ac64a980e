"""Generation retention (issue 18): 2 000 generations spread over 29 days (four models, every
25th a 502) reach a controlplane; restarted with --generation-retention-days 7 it folds those
older than a week into daily aggregates. Afterwards the activity (by day, model and key), the
usage report's totals and the audit are exactly what they were, while the generations table
holds far fewer rows.
"""
import subprocess

import sy_money as M
from sy_cluster import Cluster, wait_until

COUNT = 2000
MODELS = "mock/echo,openai/gpt-5.2,anthropic/claude-sonnet-4,deepseek/deepseek-v3.2"


def snapshot(c, org):
    out = {}
    for by in ("day", "model", "key"):
        s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by={by}")
        assert s == 200, (s, b)
        out[by] = sorted(tuple(sorted(r.items())) for r in b["data"])
    s, rep = c.admin("GET", "/api/v1/reports/usage")
    assert s == 200, (s, rep)
    out["totals"] = rep["data"]["totals"]
    return out


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, _, key_hash = c.setup_demo()
        p = subprocess.run(c.tool_argv("usage_client", [
            "--usage", c.cp_endpoints()["usage"], "--key-hash", key_hash, "--cost", "1000000",
            "--count", str(COUNT), "--org", org, "--spread-days", "29", "--models", MODELS,
            "--prefix", "old", "--timeout-ms", "60000"]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        assert p.returncode == 0, p.stderr.decode()
        before = snapshot(c, org)
        s, b = c.admin("GET", "/api/v1/generations?limit=1")
        assert s == 200 and b["total"] == COUNT, (s, b.get("total"))
        assert before["totals"]["requests"] == COUNT, before["totals"]

        c.cp.stop()
        c.cp.argv += ["--generation-retention-days", "7"]
        c.cp.start()
        wait_until(lambda: "generation(s) older than 7 days folded" in c.cp.log(), 15,
                   what="the fold")

        def folded():
            s, b = c.admin("GET", "/api/v1/generations?limit=1")
            return b["total"] if s == 200 and b["total"] < COUNT / 2 else None
        rows = wait_until(folded, 15, 0.2, what="old generations folded")
        wait_until(lambda: snapshot(c, org) == before, 10, 0.2,
                   what="the same activity and totals after the fold")
        print(f"{COUNT} generations over 29 days: {rows} rows after folding those older than "
              f"7 days; activity and usage totals unchanged")
        assert c.cp.stop() == 0
        rc, text = M.audit(c)
        print(text.strip().splitlines()[-1])
        assert rc == 0 and "invariants hold" in text, text
    print("ok")


if __name__ == "__main__":
    main()
