"""Controlplane usage intake over the acknowledged channel (usage_client test tool):
- a batch of 3 records sent twice is acknowledged in full both times, and counted once in
  the key's usage (GET /api/v1/keys/{hash}: usage, usage_daily, limit_remaining);
- a generation is returned only to the key it belongs to;
- usage survives a controlplane restart; refused records move nothing, not even the state
  seq (settled ones do: the balances they change are published on the Org and ApiKey);
- GET /metrics counts the stored and the duplicate records;
- records with a cost for a key the sender holds no lease for are acknowledged but change
  nothing (counted as unauthorized).
"""
import subprocess
import sys

from sy_cluster import Cluster, http, json_lines

COST = 12_345_000_000  # money units (1e-10 USD): 1.2345 USD per record


def usage_client(c, *args):
    p = subprocess.run(c.tool_argv("usage_client", ["--usage", c.cp_endpoints()["usage"],
                                                    "--timeout-ms", "5000"] + list(args)),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    out = p.stdout.decode(errors="replace")
    return p.returncode, json_lines(out), out


def key_data(c, h):
    s, b = c.admin("GET", f"/api/v1/keys/{h}")
    assert s == 200, (s, b)
    return b["data"]


def main():
    with Cluster() as c:
        c.start_controlplane()
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "acme", "postpaid": True})
        org = b["data"]["id"]
        s, b = c.admin("POST", "/api/v1/keys", {"name": "k", "org_id": org, "limit": 10,
                                                "limit_reset": "daily"})
        assert s == 201, (s, b)
        h = b["data"]["hash"]
        s, b = c.admin("POST", "/api/v1/keys", {"name": "other", "org_id": org})
        other = b["data"]["hash"]
        seq = c.admin("GET", "/health")[1]["seq"]

        # no lease for the key: acknowledged (it can never succeed) but not counted
        rc, lines, out = usage_client(c, "--key-hash", h, "--cost", str(COST), "--count", "2",
                                      "--prefix", "nolease")
        assert rc == 0 and lines[0]["complete"], out
        assert key_data(c, h)["usage"] == 0, key_data(c, h)
        assert c.admin("GET", "/health")[1]["seq"] == seq

        rc, lines, out = usage_client(c, "--key-hash", h, "--cost", str(COST), "--count", "3",
                                      "--repeat", "2", "--prefix", "it", "--org", org)
        assert rc == 0, out
        ids = ["gen-it-0", "gen-it-1", "gen-it-2"]
        assert lines[0]["lease"]["granted"] == 3 * COST, lines
        lines = lines[1:]
        assert [l["round"] for l in lines] == [0, 1], lines
        assert all(l["acked"] == ids and l["complete"] for l in lines), lines

        d = key_data(c, h)
        assert abs(d["usage"] - 3.7035) < 1e-9, d
        assert abs(d["usage_daily"] - 3.7035) < 1e-9, d
        assert abs(d["usage_monthly"] - 3.7035) < 1e-9, d
        assert abs(d["limit_remaining"] - (10 - 3.7035)) < 1e-9, d
        assert key_data(c, other)["usage"] == 0, key_data(c, other)

        s, text, hdrs = http("GET", f"http://127.0.0.1:{c.admin_port}/metrics")
        assert s == 200 and hdrs["Content-Type"].startswith("text/plain"), (s, text)
        metrics = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and l[0] != "#")
        assert metrics["switchyard_cp_usage_records_stored_total"] == "3", metrics
        assert metrics["switchyard_cp_usage_records_duplicate_total"] == "3", metrics
        assert metrics["switchyard_cp_usage_batches_total"] == "3", metrics
        assert metrics["switchyard_cp_usage_records_unauthorized_total"] == "2", metrics
        assert int(metrics["switchyard_cp_seq"]) >= seq, metrics

        rc, lines, out = usage_client(c, "--key-hash", h, "--query", "gen-it-1")
        assert rc == 0 and lines == [{"found": True, "id": "gen-it-1", "cost": COST}], out
        rc, lines, out = usage_client(c, "--key-hash", other, "--query", "gen-it-1")
        assert rc == 0 and lines == [{"found": False, "id": None, "cost": None}], out
        rc, lines, out = usage_client(c, "--key-hash", h, "--query", "gen-missing")
        assert rc == 0 and lines[0]["found"] is False, out

        # a restart keeps the ledger; a resend after it still counts nothing
        c.cp.stop()
        c.start_controlplane()
        rc, lines, out = usage_client(c, "--key-hash", h, "--cost", str(COST), "--count", "3",
                                      "--prefix", "it", "--org", org)
        assert rc == 0 and lines[-1]["complete"], out
        assert abs(key_data(c, h)["usage"] - 3.7035) < 1e-9, key_data(c, h)
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
