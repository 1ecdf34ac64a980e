"""Dataplane state sync end to end (Clone pattern against the real controlplane):
- a dataplane started before the controlplane answers 503 with a clear error on /ready and on
  every API route, /health stays 200; once the controlplane is up it becomes ready;
- changes made through the admin API reach every worker (2 workers);
- controlplane killed: workers keep serving /models and authenticating from their last view;
- controlplane restarted: workers resync, and a key created after the restart works.
"""
import sys
import time

from sy_cluster import Cluster, http, wait_until


def ready_workers(dp, n=30):
    """{worker id: seq} from /ready over fresh connections."""
    out = {}
    for _ in range(n):
        s, b, _ = http("GET", dp.url + "/ready")
        if s == 200:
            out[b["worker"]] = b["seq"]
    return out


def key_status_everywhere(dp, key, n=20):
    return {http("GET", dp.url + "/api/v1/key", headers={"Authorization": "Bearer " + key})[0]
            for _ in range(n)}


def main():
    with Cluster() as c:
        # the dataplane first: no controlplane, no view
        dp = c.start_dataplane(workers=2, wait_ready=False)
        wait_until(lambda: http("GET", dp.url + "/health")[0] == 200, 10, what="health")
        s, b, _ = http("GET", dp.url + "/ready")
        assert s == 503, (s, b)
        assert b["error"]["code"] == 503 and "snapshot" in b["error"]["message"], b
        for path in ("/api/v1/models", "/v1/providers", "/api/v1/key",
                     "/api/v1/models/mock/echo/endpoints", "/api/v1/generation?id=x"):
            s, b, _ = http("GET", dp.url + path)
            assert s == 503, (path, s, b)
            assert "no state from the controlplane" in b["error"]["message"], (path, b)
        s, b, _ = http("POST", dp.url + "/api/v1/chat/completions",
                       {"model": "mock/echo", "messages": []})
        assert s == 503, (s, b)

        # the controlplane arrives: the workers get their snapshot
        c.start_mock()
        c.start_controlplane()
        wait_until(lambda: http("GET", dp.url + "/ready")[0] == 200, 15, what="ready")
        org, key, key_hash = c.setup_demo()
        wait_until(lambda: key_status_everywhere(dp, key) == {200}, 5,
                   what="the new key on every worker")
        seqs = wait_until(lambda: (lambda r: r if len(r) == 2 else None)(ready_workers(dp)), 10,
                          what="both workers ready")
        assert all(v > 0 for v in seqs.values()), seqs
        s, b, _ = http("GET", dp.url + "/api/v1/models")
        assert s == 200 and [m["id"] for m in b["data"]] == ["mock/echo"], b

        # a model added later appears in /models on every worker
        s, b = c.admin("POST", "/api/v1/models", {
            "id": "mock/second", "name": "Second", "context_length": 4096,
            "endpoints": [{"provider": "mock", "provider_model_id": "echo",
                           "pricing": {"prompt": "0.000001", "completion": "0.000002"}}]})
        assert s in (200, 201), (s, b)

        def models_everywhere():
            ids = set()
            for _ in range(20):
                s, b, _ = http("GET", dp.url + "/api/v1/models")
                ids.add(tuple(m["id"] for m in b["data"]))
            return ids == {("mock/echo", "mock/second")}
        wait_until(models_everywhere, 5, what="new model on every worker")

        # controlplane gone: the workers keep serving their last view
        c.cp.kill9()
        time.sleep(4.0)  # past three heartbeat intervals: the workers notice and re-snapshot
        for _ in range(20):
            s, b, _ = http("GET", dp.url + "/api/v1/models")
            assert s == 200 and len(b["data"]) == 2, (s, b)
            s, b, _ = http("GET", dp.url + "/api/v1/key", headers={"Authorization": "Bearer " + key})
            assert s == 200, (s, b)
            s, b, _ = http("GET", dp.url + "/ready")
            assert s == 200, (s, b)
        assert "re-snapshotting" in dp.log()

        # controlplane back (same data): the workers resync; a key made now works everywhere
        c.cp.start()
        wait_until(lambda: c.admin("GET", "/api/v1/orgs")[0] == 200, 10, what="controlplane back")
        s, b = c.admin("POST", "/api/v1/keys", {"name": "after-restart", "org_id": org})
        assert s == 201, (s, b)
        new_key = b["key"]
        wait_until(lambda: key_status_everywhere(dp, new_key) == {200}, 15,
                   what="key created after the restart accepted by every worker")
        # and a deletion made now is seen too
        s, b = c.admin("DELETE", "/api/v1/models/mock/second")
        assert s == 200, (s, b)

        def second_gone():
            return all(len(http("GET", dp.url + "/api/v1/models")[1]["data"]) == 1
                       for _ in range(20))
        wait_until(second_gone, 5, what="deleted model gone from every worker")
        after = ready_workers(dp)
        assert len(after) == 2 and all(after[w] > seqs[w] for w in after), (seqs, after)
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
