"""The acknowledged usage channel end to end: chat completions served while the controlplane
is down are spooled by the worker, survive a dataplane restart, and reach the controlplane once
it is back; each then answers GET /generation (only for its own key) and the spools drain.
"""
import glob
import os
import sys
import time

from sy_cluster import Cluster, http, wait_until

CHAT = {"model": "mock/echo", "messages": [{"role": "user", "content": "hello usage"}]}


def chat(dp, key):
    s, b, h = http("POST", dp.url + "/api/v1/chat/completions", CHAT,
                   {"Authorization": "Bearer " + key})
    assert s == 200, (s, b)
    assert b["id"].startswith("gen-") and h["X-Generation-Id"] == b["id"], (b, dict(h))
    return b["id"]


def generation(dp, key, gid):
    return http("GET", f"{dp.url}/api/v1/generation?id={gid}",
                headers={"Authorization": "Bearer " + key})


def spool_bytes(dp_spool):
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(dp_spool, "usage-*.spool")))


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, key, key_hash = c.setup_demo()
        s, b = c.admin("POST", "/api/v1/keys", {"name": "other", "org_id": org})
        assert s == 201, (s, b)
        other_key = b["key"]
        spool = os.path.join(c.dir, "spool")
        # a short drain: stopping while the controlplane is down waits that long for acks
        dp = c.start_dataplane(workers=1, extra=["--spool-dir", spool, "--drain-ms", "2000"])

        # normal path: the record arrives and is served back
        gid = chat(dp, key)
        wait_until(lambda: generation(dp, key, gid)[0] == 200, 5, what="generation stored")
        s, b, _ = generation(dp, key, gid)
        d = b["data"]
        assert d["id"] == gid and d["model"] == "mock/echo" and d["streamed"] is False, d
        assert d["provider_name"] == "Mock" and d["finish_reason"] == "stop", d
        assert d["tokens_completion"] > 0 and d["total_cost"] > 0, d
        assert isinstance(d["provider_responses"], list) and d["provider_responses"], d
        s, b, _ = generation(dp, other_key, gid)  # another key cannot read it
        assert s == 404, (s, b)
        wait_until(lambda: spool_bytes(spool) == 0, 5, what="spool emptied after the ack")

        # controlplane down: chats still served, records wait in the spool
        c.cp.kill9()
        down = [chat(dp, key) for _ in range(3)]
        wait_until(lambda: spool_bytes(spool) > 0, 5, what="records spooled")
        s, b, _ = generation(dp, key, down[0])
        assert s == 404, (s, b)  # nobody to ask

        # the dataplane restarts while the controlplane is still down: the spool is kept
        dp.stop()
        assert spool_bytes(spool) > 0
        dp.start()
        wait_until(lambda: http("GET", dp.url + "/ready")[0] == 503, 10,
                   what="restarted dataplane without a view")

        # the controlplane returns: every record arrives, the spool drains
        c.cp.start()
        wait_until(lambda: http("GET", dp.url + "/ready")[0] == 200, 15, what="ready again")
        for g in down:
            wait_until(lambda: generation(dp, key, g)[0] == 200, 10,
                       what=f"generation {g} after the controlplane returned")
            s, b, _ = generation(dp, key, g)
            assert b["data"]["id"] == g, b
        wait_until(lambda: spool_bytes(spool) == 0, 10, what="spool drained")
        log = dp.log()
        assert "replaying" in log, log[-2000:]
        # each record was applied exactly once: the key's usage on the controlplane is the sum
        # of the four generations' costs (a duplicate would count twice)
        total = 0.0
        for g in [gid] + down:
            total += generation(dp, key, g)[1]["data"]["total_cost"]
        s, b = c.admin("GET", f"/api/v1/keys/{key_hash}")
        assert s == 200, (s, b)
        assert abs(b["data"]["usage"] - total) < 1e-12 and total > 0, (b["data"]["usage"], total)
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
