"""Exact under concurrency: 3 workers, 1000 concurrent requests from one org whose credits
cover 50 of them. The mock reports usage equal to the reservation (max_tokens = its token
count, prompt estimate = its prompt count). Pass: every request is served or refused with
402 (the envelope checked), at most 50 are served, posted spend never exceeds the credits and
equals what the served responses cost, every request left a generation record, and the audit
holds.
"""
import threading
import time
from decimal import Decimal

import sy_money as M
from sy_cluster import Cluster, http

REQUESTS = 1000
COVERED = 50


def main():
    with Cluster() as c:
        # latency keeps the requests overlapping: all of them are in flight together
        c.start_mock(["--tokens", str(M.TOKENS), "--latency-ms", "200"])
        c.start_controlplane()
        price = M.cost()
        org, key, _ = c.setup_demo(credits=float(price * COVERED))
        dp = c.start_dataplane(workers=3)
        c.wait_models(dp, key, "mock/echo")
        M.wait_dp_credits(dp, key, price * COVERED)

        results = [None] * REQUESTS
        start = threading.Barrier(REQUESTS + 1)
        headers = {"Authorization": "Bearer " + key}

        def one(i):
            start.wait()
            try:
                results[i] = http("POST", dp.url + "/api/v1/chat/completions", M.body(),
                                  headers, timeout=60)
            except Exception as e:  # a dropped connection is a failure, recorded as such
                results[i] = (0, repr(e), None)

        threading.stack_size(256 * 1024)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(REQUESTS)]
        for t in threads:
            t.start()
        t0 = time.time()
        start.wait()
        for t in threads:
            t.join(90)
        took = time.time() - t0
        assert all(r is not None for r in results), "some requests never finished"

        served = [b for s, b, _ in results if s == 200]
        refused = [b for s, b, _ in results if s == 402]
        other = [(s, b) for s, b, _ in results if s not in (200, 402)]
        print(f"{REQUESTS} requests in {took:.1f}s: {len(served)} served, "
              f"{len(refused)} refused with 402, {len(other)} other")
        assert not other, other[:5]
        assert len(served) <= COVERED, len(served)
        # the credits go to requests, not to leases left idle in other workers
        assert len(served) >= COVERED - 5, len(served)
        for b in refused:
            e = M.is_error(b, 402, "insufficient_credits")
            assert "credits" in e["message"].lower(), e
        spent = sum(Decimal(str(b["usage"]["cost"])) for b in served)
        for b in served:
            assert abs(Decimal(str(b["usage"]["cost"])) - price) < Decimal("1e-12"), b["usage"]

        # settled: nothing pending once the leases went back; posted = what was served
        m = M.wait_settled(c, org, posted=spent, timeout=30)
        assert m["debits_posted"] <= m["total_credits"] + 1e-12, m
        assert m["balance"] >= -1e-12 and m["overspend"] == 0, m
        print(f"credits {m['total_credits']}, posted {m['debits_posted']}, balance "
              f"{m['balance']}")

        # one generation record per request, 402s included (at cost 0)
        def all_recorded():
            s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by=model")
            rows = b["data"] if s == 200 else []
            return rows if sum(r["requests"] for r in rows) == REQUESTS else None
        rows = M.wait_until(all_recorded, 20, 0.2, what="every generation recorded")
        assert abs(sum(Decimal(str(r["usage"])) for r in rows) - spent) < Decimal("1e-9"), rows
        for b in served[:5]:
            g = c.generation(dp, key, b["id"])
            assert g["total_cost"] == b["usage"]["cost"], (g, b["usage"])

        # what the workers show is what the ledger says, once its balance is published to them
        # (every --publish-ms: a slow sanitizer build may read the previous one first)
        d = M.wait_until(lambda: (lambda x: x if abs(x["total_usage"] - float(spent)) < 1e-12
                                  else None)(M.dp_credits(dp, key)), 10, 0.1,
                         what="the workers' /credits at the ledger's total")
        assert abs(d["total_usage"] - float(spent)) < 1e-12, (d, spent)

        dp.stop()
        assert c.cp.stop() == 0
        rc, out = M.audit(c)
        print(out.strip().splitlines()[-1])
        assert rc == 0 and "invariants hold" in out, out


if __name__ == "__main__":
    main()
