"""The dataplane's process model: --help and bad flags, the supervisor restarting a worker that
dies (kill -9), and a clean drain on SIGTERM: a chat in progress finishes with 200, its usage
record reaches the controlplane, new connections are refused and the process exits 0.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from sy_cluster import BIN, Cluster, curve_client_args, gen_keys, http, wait_until

DP = os.path.join(BIN, "switchyard-dataplane")


def workers_seen(dp, n=40):
    return {http("GET", dp.url + "/ready")[1].get("worker") for _ in range(n)}


def children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(x) for x in f.read().split()]


def main():
    out = subprocess.run([DP, "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and "--controlplane" in out.stdout and "--drain-ms" in out.stdout
    out = subprocess.run([DP, "--workers", "x"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 2 and "--workers" in out.stderr, out
    out = subprocess.run([DP, "--listen", "no-port"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 2 and "--listen" in out.stderr, out
    out = subprocess.run([DP, "-n", "--controlplane", "10.1.1.1"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 2 and "reaches beyond this host" in out.stderr, out
    with tempfile.TemporaryDirectory() as d:
        keys = gen_keys(os.path.join(d, "keys"))
        out = subprocess.run([DP, "-n", "--controlplane", "10.1.1.1"] + curve_client_args(keys),
                             capture_output=True, text=True, timeout=10)
        assert out.returncode == 0 and "tcp://10.1.1.1:5557" in out.stdout, out
        pub = open(os.path.join(keys, "dataplane.pub")).read().strip()
        assert "curve on, public key " + pub in out.stdout, out

    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, key, key_hash = c.setup_demo()
        s, b = c.admin("POST", "/api/v1/models", {
            "id": "mock/slow", "name": "Slow", "context_length": 8192,
            "endpoints": [{"provider": "mock", "provider_model_id": "echo@latency=1500",
                           "pricing": {"prompt": "0.000001", "completion": "0.000002"}}]})
        assert s in (200, 201), (s, b)
        dp = c.start_dataplane(workers=2, extra=["--drain-ms", "5000"])
        wait_until(lambda: workers_seen(dp) == {0, 1}, 10, what="both workers")

        # a worker killed outright is replaced by the supervisor
        kids = children(dp.p.pid)
        assert len(kids) == 2, kids
        os.kill(kids[0], signal.SIGKILL)
        wait_until(lambda: len(children(dp.p.pid)) == 2 and kids[0] not in children(dp.p.pid),
                   10, what="replacement worker")
        wait_until(lambda: workers_seen(dp) == {0, 1}, 10, what="both workers after restart")
        assert "died unexpectedly" in dp.log()

        # SIGTERM while a slow chat is in flight: it completes, then everything exits 0
        result = {}

        def slow_chat():
            result["r"] = http("POST", dp.url + "/api/v1/chat/completions",
                               {"model": "mock/slow",
                                "messages": [{"role": "user", "content": "slow"}]},
                               {"Authorization": "Bearer " + key},
                               timeout=20)
        t = threading.Thread(target=slow_chat)
        t.start()
        time.sleep(0.5)
        t0 = time.time()
        dp.p.send_signal(signal.SIGTERM)  # the supervisor forwards it to the workers
        time.sleep(0.3)
        try:
            refused = http("GET", dp.url + "/health", timeout=2)[0] != 200
        except OSError:
            refused = True
        assert refused, "a draining dataplane accepted a new connection"
        t.join(20)
        s, b, h = result["r"]
        assert s == 200 and b["choices"][0]["message"]["content"], (s, b)
        rc = dp.p.wait(15)
        assert rc == 0, rc
        assert 0.8 < time.time() - t0 < 5, "the drain did not wait for the request (only)"
        gid = b["id"]

        # the usage record of the drained chat reached the controlplane: a fresh dataplane
        # serves it back
        dp2 = c.start_dataplane(workers=1)
        wait_until(lambda: http("GET", f"{dp2.url}/api/v1/generation?id={gid}",
                                headers={"Authorization": "Bearer " + key})[0] == 200, 10,
                   what="drained chat's generation")
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
