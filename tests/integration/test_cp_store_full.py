"""The store must not fill silently (issue 18). A controlplane started with a tiny LMDB map
(--map-size-mb 1, --map-max-mb 3) under a stream of requests: the map doubles when 3/4 full
(a warning in the log, switchyard_cp_lmdb_map_size_bytes), and once it is full at its maximum
the operator is told (an ERROR line, /health "status": "store_full" with the store's
fullness, switchyard_cp_lmdb_full 1) while the refused usage batches wait in the dataplane's
spool. Restarted with a larger maximum, the controlplane stores them all: every request is
recorded exactly once.
"""
import re
import time
from concurrent.futures import ThreadPoolExecutor

from sy_cluster import Cluster, http, wait_until

BODY = {"model": "z/zero", "messages": [{"role": "user", "content": "fill me"}],
        "max_tokens": 4}
MIB = 1 << 20


def cp_metric(c, name):
    text = http("GET", f"http://127.0.0.1:{c.admin_port}/metrics")[1]
    m = re.search(rf"^{name} (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def health(c):
    return http("GET", f"http://127.0.0.1:{c.admin_port}/health")[1]


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane(extra=["--map-size-mb", "1", "--map-max-mb", "3"])
        org, key, key_hash = c.setup_demo()
        c.add_model("z/zero", [("mock", "echo", "0", "0")])
        dp = c.start_dataplane(workers=1)
        c.wait_models(dp, key, "z/zero")
        h = health(c)
        assert h["status"] == "ok" and h["store"]["full"] is False, h
        assert h["store"]["map_bytes"] == MIB and h["store"]["max_bytes"] == 3 * MIB, h

        def one(_):
            s, b, _ = http("POST", dp.url + "/api/v1/chat/completions", BODY,
                           {"Authorization": "Bearer " + key})
            assert s == 200, (s, b)
        served = 0
        with ThreadPoolExecutor(8) as ex:
            while not health(c)["store"]["full"]:
                assert served < 60000, health(c)
                list(ex.map(one, range(500)))
                served += 500
                time.sleep(0.3)  # a publish tick: the map may grow
        h = health(c)
        print(f"full after {served} requests: {h}")
        assert h["status"] == "store_full" and h["store"]["fullness"] > 0.9, h
        assert h["store"]["map_bytes"] == 3 * MIB, h  # grew 1 -> 2 -> 3 MiB
        assert cp_metric(c, "switchyard_cp_lmdb_full") == 1
        log = c.cp.log()
        assert "grown from 1 to 2 MiB" in log and "grown from 2 to 3 MiB" in log, log[-3000:]
        assert "the LMDB map is full at its maximum" in log, log[-3000:]
        # what comes now cannot be stored: it waits in the dataplane's spool
        with ThreadPoolExecutor(8) as ex:
            list(ex.map(one, range(500)))
        served += 500

        def pending():
            m = re.search(r"^switchyard_dp_usage_pending_records{[^}]*} (\d+)$",
                          http("GET", dp.metrics_url)[1], re.M)
            return int(m.group(1)) if m else 0
        wait_until(lambda: pending() > 0, 10, 0.2, what="records waiting in the spool")
        assert health(c)["status"] == "store_full"

        # the operator raises the maximum: everything waiting arrives, once
        c.cp.stop()
        i = c.cp.argv.index("--map-max-mb")
        c.cp.argv[i + 1] = "16"
        c.cp.start()
        wait_until(lambda: health(c)["status"] == "ok", 15, what="the controlplane back")

        def recorded():
            s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by=key")
            rows = {r["key_hash"]: r["requests"] for r in b["data"]} if s == 200 else {}
            return rows.get(key_hash, 0)
        wait_until(lambda: recorded() >= served, 60, 0.5,
                   what=f"all {served} generations recorded")
        time.sleep(1.0)
        assert recorded() == served, (recorded(), served)
        assert health(c)["store"]["full"] is False
    print("ok")


if __name__ == "__main__":
    main()
