"""Crashes during settlement: kill -9 the controlplane three times while requests run and
settle, and kill -9 a worker in the middle of a stream. Afterwards: every served generation is
recorded exactly once (posted debits equal what the served responses cost, one record per
finished request), the killed stream is recorded once too (its worker's crash record, charging
what the stream had sent: see test_money_worker_crash.py), the killed worker's lease stays pending until its TTL and
is then released, nothing is left pending, and the audit holds.
"""
import os
import threading
import time
from decimal import Decimal

import sy_money as M
from sy_cluster import Cluster, http, wait_until

TTL_MS = 2000
LOAD_THREADS = 6


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def restart_cp(c):
    c.cp.start()
    wait_until(lambda: c.admin("GET", "/api/v1/orgs")[0] == 200, 15, 0.05,
               what="controlplane back")


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS), "--latency-ms", "20"])
        c.start_controlplane(extra=["--lease-ttl-ms", str(TTL_MS)])
        org, key, key_hash = c.setup_demo(credits=10)
        c.add_model("mock/slow", [("mock", "echo@tps=10,tokens=60")])
        s, b = c.admin("POST", "/api/v1/keys", {"name": "streamer", "org_id": org})
        assert s == 201, (s, b)
        key2, key2_hash = b["key"], b["data"]["hash"]
        dp = c.start_dataplane(workers=2)
        dp_b = c.start_dataplane(workers=1)
        c.wait_models(dp, key, "mock/echo")
        c.wait_models(dp_b, key2, "mock/slow")

        # ---- load while the controlplane is killed three times --------------------------------
        results, lock, stop = [], threading.Lock(), threading.Event()
        headers = {"Authorization": "Bearer " + key}

        def load():
            while not stop.is_set():
                r = http("POST", dp.url + "/api/v1/chat/completions", M.body(), headers,
                         timeout=30)
                with lock:
                    results.append(r)

        threads = [threading.Thread(target=load) for _ in range(LOAD_THREADS)]
        for t in threads:
            t.start()
        for _ in range(3):
            time.sleep(1.5)
            c.cp.kill9()
            time.sleep(1.0)  # requests covered by their lease go on; records wait in spools
            restart_cp(c)
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join(60)
        statuses = {}
        for s, _, _ in results:
            statuses[s] = statuses.get(s, 0) + 1
        print(f"load: {len(results)} requests, statuses {statuses}")
        served = [b for s, b, _ in results if s == 200]
        assert len(served) > 50, statuses
        # without the controlplane a request waits for credits at most --lease-wait-ms: 503
        assert set(statuses) <= {200, 503}, statuses
        for s, b, _ in results:
            if s == 503:
                M.is_error(b, 503, "credits_unavailable")
        spent = sum(Decimal(str(b["usage"]["cost"])) for b in served)

        # ---- a worker killed mid-stream ---------------------------------------------------
        out = {}

        def stream():
            try:
                out["r"] = c.chat_stream(dp_b, key2, {"model": "mock/slow", "max_tokens": 60,
                                                      "messages": [{"role": "user",
                                                                    "content": M.TEXT}]},
                                         timeout=30)
            except Exception as e:
                out["r"] = e
        st = threading.Thread(target=stream)
        st.start()

        def key2_lease():
            return [l for l in M.leases(c, org) if l["key_hash"] == key2_hash]
        held = wait_until(key2_lease, 10, 0.05, what="the streaming key's lease")
        time.sleep(1.0)  # a few tokens out
        workers = children(dp_b.p.pid)
        assert len(workers) == 1, workers
        os.kill(workers[0], 9)
        killed_at = time.time()
        st.join(30)
        print(f"stream cut by the kill: {type(out.get('r')).__name__}")
        assert held[0]["amount_usd"] > 0, held
        # still held well inside its TTL (renewals leave it at least 2/3 of one) ...
        time.sleep(TTL_MS / 1000 / 3)
        assert key2_lease(), "the killed worker's lease went before its TTL"
        # ... released once the TTL is over
        wait_until(lambda: not key2_lease(), TTL_MS / 1000 + 5, 0.1,
                   what="the killed worker's lease released")
        gone_after = time.time() - killed_at
        print(f"killed worker's lease released {gone_after:.1f}s after the kill "
              f"(TTL {TTL_MS / 1000:.1f}s)")
        assert gone_after >= TTL_MS / 1000 / 2, gone_after

        # ---- nothing missing, nothing twice ----------------------------------------------
        def recorded():
            s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by=key")
            rows = {r["key_hash"]: r for r in b["data"]} if s == 200 else {}
            return rows if set(rows) == {key_hash, key2_hash} and \
                rows[key_hash]["requests"] == len(results) else None
        rows = wait_until(recorded, 20, 0.2, what="one generation per request")
        # the killed stream: one record, charged for the tokens it had sent (a few, at 10 a
        # second for about a second: fewer than its 60)
        crashed = rows[key2_hash]
        assert crashed["requests"] == 1, rows
        assert 0 < crashed["completion_tokens"] < 60 and crashed["usage"] > 0, rows
        print(f"generations: {rows}")
        m = M.wait_settled(c, org, posted=spent + Decimal(str(crashed["usage"])), timeout=30)
        # the crash record comes from the restarted worker: if the killed worker's lease ran
        # out first (TTL 2 s here, the controlplane killed too), its charge is overspend
        assert m["overspend"] <= crashed["usage"] and m["balance"] > 0, m
        for b in served[::max(1, len(served) // 10)]:
            g = c.generation(dp, key, b["id"])
            assert g["total_cost"] == b["usage"]["cost"], (g, b["usage"])

        dp.stop()
        dp_b.stop()
        assert c.cp.stop() == 0
        rc, text = M.audit(c)
        print(text.strip().splitlines()[-1])
        assert rc == 0 and "invariants hold" in text, text


if __name__ == "__main__":
    main()
