"""Durability and bounded memory of the usage spool (issue 18).

The controlplane is away (killed) while one worker serves N requests to a zero-price model (no
lease needed) from 8 client threads. Each record is written to the spool with its loop
iteration's batch (and fdatasync'ed within --spool-sync-ms); with --usage-memory-max 50 at most 50 unacknowledged records stay
in memory (switchyard_dp_usage_memory_records), the rest wait in the spool only, so the
worker's RSS stays flat while the backlog grows (it is compared with the same run without a
cap). Then the worker is killed with kill -9 between the write and the acknowledgement; the
supervisor restarts it, it replays the spool; the controlplane comes back and every
generation is recorded exactly once (activity counts), and the spools drain.
"""
import glob
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

from sy_cluster import BIN, Cluster, http, wait_until

N = 3000
CAP = 50
BODY = {"model": "z/zero", "messages": [{"role": "user", "content": "durable?"}],
        "max_tokens": 4}


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


def gauge(dp, name):
    m = re.search(rf"^{name}{{[^}}]*}} (\d+)$", http("GET", dp.metrics_url)[1], re.M)
    return int(m.group(1)) if m else None


def serve(dp, key, n):
    def one(_):
        s, b, _ = http("POST", dp.url + "/api/v1/chat/completions", BODY,
                       {"Authorization": "Bearer " + key})
        assert s == 200, (s, b)
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(one, range(n)))


def spool_bytes(d):
    """Bytes in the spools of the dataplane(s) whose spool directory matches d."""
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(d, "usage-*.spool")))


def backlog_growth(c, key, extra):
    """RSS growth (kB) of a worker serving N requests with the controlplane away."""
    dp = c.start_dataplane(workers=1, extra=extra)
    c.wait_models(dp, key, "z/zero")
    serve(dp, key, 200)  # warm up: pools, caches, the first records acknowledged
    wait_until(lambda: gauge(dp, "switchyard_dp_usage_pending_records") == 0, 10,
               what="the warm-up acknowledged")
    worker = children(dp.p.pid)[0]
    c.cp.kill9()
    before = rss_kb(worker)
    serve(dp, key, N)
    wait_until(lambda: gauge(dp, "switchyard_dp_usage_pending_records") == N, 10,
               what="the backlog counted")
    return dp, worker, rss_kb(worker) - before


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, key, key_hash = c.setup_demo()
        c.add_model("z/zero", [("mock", "echo", "0", "0")])

        # the same backlog without a cap, for comparison
        dp0, _, uncapped = backlog_growth(c, key, ["--usage-memory-max", "0"])
        dp0.stop()  # its backlog stays in its spool
        c.cp.start()
        dp0.start()  # and arrives from there

        dp, worker, capped = backlog_growth(c, key, ["--usage-memory-max", str(CAP)])
        mem = gauge(dp, "switchyard_dp_usage_memory_records")
        print(f"RSS growth over a {N}-record backlog: {uncapped} kB uncapped, {capped} kB "
              f"with --usage-memory-max {CAP} ({mem} records in memory)")
        assert mem is not None and mem <= CAP, mem
        # AddressSanitizer keeps freed memory in quarantine and pads every allocation, so RSS
        # says nothing about the records held there; the gauge above holds in every build
        if "/asan/" not in BIN + "/":
            assert capped < 1024 and capped * 3 < uncapped, (capped, uncapped)

        # kill -9 between the write and the acknowledgement
        spool = os.path.join(c.dir, f"dp-spool-{dp.port}")
        on_disk = spool_bytes(spool)
        assert on_disk > 0
        os.kill(worker, 9)
        wait_until(lambda: [p for p in children(dp.p.pid) if p != worker], 10, 0.05,
                   what="the worker restarted")
        assert spool_bytes(spool) >= on_disk  # nothing lost with the process

        c.cp.start()
        wait_until(lambda: http("GET", dp.url + "/ready")[0] == 200, 15, what="ready again")
        total = 2 * (200 + N)  # both runs, warm-ups included

        def recorded():
            s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by=key")
            assert s == 200, (s, b)
            rows = {r["key_hash"]: r["requests"] for r in b["data"]}
            return rows.get(key_hash, 0)
        spools = os.path.join(c.dir, "dp-spool-*")
        wait_until(lambda: recorded() >= total and spool_bytes(spools) == 0, 30, 0.2,
                   what="every generation recorded and the spools drained")
        time.sleep(1.0)  # a duplicate would have arrived by now
        assert recorded() == total, (recorded(), total)
        assert "replaying" in dp.log()
    print("ok")


if __name__ == "__main__":
    main()
