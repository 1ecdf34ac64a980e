"""3 dataplanes behind haproxy, started by deploy/local-cluster.sh:

- a key created through the admin API works through every dataplane within a second;
- traffic through haproxy spreads across all three (haproxy's per-server 2xx counters, and
  the mock provider saw every request);
- one dataplane SIGKILLed under load: haproxy routes around it; the only failed requests are
  ones that were in flight when it died, and haproxy marks it DOWN;
- a new dataplane started (`local-cluster.sh add`) snapshots the state (a key created before
  it started works on it) and takes traffic.

Needs the Debian package haproxy. Everything listens on 127.0.0.1; every process is stopped.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from sy_cluster import BIN, assert_clean_logs, free_port, free_run, http, wait_until

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "deploy", "local-cluster.sh")
MODEL = "openai/gpt-5.2"
N, SPARES = 3, 2


class LocalCluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sy-cluster-")
        self.env = dict(os.environ)
        self.env.update({
            "SY_CLUSTER_DIR": os.path.join(self.dir, "cluster"),
            "SY_LB_PORT": str(free_port()), "SY_STATS_PORT": str(free_port()),
            "SY_ADMIN_PORT": str(free_port()), "SY_MOCK_PORT": str(free_port()),
            "SY_ZMQ_PORT": str(free_run(3)), "SY_DP_PORT": str(free_run(N + SPARES)),
            "SY_SPARES": str(SPARES),
            # Requests stay in flight a while, so a killed dataplane has some.
            "SY_MOCK_FLAGS": "--latency-ms 40",
        })
        self.cdir = self.env["SY_CLUSTER_DIR"]
        self.lb = f"http://127.0.0.1:{self.env['SY_LB_PORT']}"
        self.stats_url = f"http://127.0.0.1:{self.env['SY_STATS_PORT']}/stats;csv"
        self.admin_url = f"http://127.0.0.1:{self.env['SY_ADMIN_PORT']}"
        self.mock_url = f"http://127.0.0.1:{self.env['SY_MOCK_PORT']}"
        self.conf = {}

    def script(self, *args, timeout=120):
        p = subprocess.run(["bash", SCRIPT] + list(args), env=self.env, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode(errors="replace")
        assert p.returncode == 0, f"local-cluster.sh {' '.join(args)} exited {p.returncode}:\n{out}"
        return out

    def start(self):
        self.script("--background", BIN, str(N))
        with open(os.path.join(self.cdir, "cluster.env")) as fh:
            for line in fh:
                k, _, v = line.strip().partition("=")
                self.conf[k] = v

    def dp_url(self, slot):
        return f"http://127.0.0.1:{int(self.env['SY_DP_PORT']) + slot - 1}"

    def pid(self, name):
        with open(os.path.join(self.cdir, "pids", name + ".pid")) as fh:
            return int(fh.read())

    def stats(self):
        """haproxy's view of each dataplane slot: {"dp1": {"status": "UP", "2xx": n, ...}}."""
        s, body, _ = http("GET", self.stats_url)
        assert s == 200, (s, body)
        lines = body.splitlines()
        cols = lines[0].lstrip("# ").split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(cols, line.split(",")))
            if row.get("pxname") == "dataplanes" and row["svname"].startswith("dp"):
                out[row["svname"]] = {"status": row["status"], "2xx": int(row["hrsp_2xx"] or 0),
                                      "5xx": int(row["hrsp_5xx"] or 0)}
        return out

    def admin(self, method, path, body=None):
        s, b, _ = http(method, self.admin_url + path, body,
                       {"Authorization": "Bearer " + self.conf["SY_ADMIN_KEY"]})
        return s, b

    def new_key(self, org):
        s, b = self.admin("POST", "/api/v1/keys", {"name": f"k-{time.time()}", "org_id": org})
        assert s == 201, (s, b)
        return b["key"]

    def mock_total(self):
        s, b, _ = http("GET", self.mock_url + "/mock/stats")
        assert s == 200, (s, b)
        return b["total"]

    def stop(self):
        if os.path.exists(os.path.join(self.cdir, "cluster.env")):
            subprocess.run(["bash", SCRIPT, "stop"], env=self.env, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Whatever the script could not stop (it failed half-way): each recorded group.
        piddir = os.path.join(self.cdir, "pids")
        for f in os.listdir(piddir) if os.path.isdir(piddir) else []:
            try:
                os.killpg(self.pid(f[:-4]), signal.SIGKILL)
            except (ProcessLookupError, ValueError, PermissionError):
                pass

    def logs(self):
        out = []
        for f in sorted(os.listdir(self.cdir)) if os.path.isdir(self.cdir) else []:
            if f.endswith(".log"):
                with open(os.path.join(self.cdir, f), errors="replace") as fh:
                    out.append(f"---- {f} ----\n{fh.read()[-3000:]}")
        return "\n".join(out)


def chat(url, key, timeout=10):
    s, b, _ = http("POST", url + "/api/v1/chat/completions",
                   {"model": MODEL, "messages": [{"role": "user", "content": "hello"}]},
                   {"Authorization": "Bearer " + key}, timeout=timeout)
    return s, b


def key_reaches(c, key, slots, limit):
    """Seconds until key works on every slot's dataplane directly; asserts <= limit."""
    t0 = time.time()
    pending = set(slots)
    while pending and time.time() - t0 < limit + 2:
        for slot in sorted(pending):
            t = time.time()
            s, _ = chat(c.dp_url(slot), key)
            if s == 200:
                pending.discard(slot)
                took = t - t0
                assert took <= limit, f"key reached dp{slot} only after {took:.2f}s"
            else:
                assert s == 401, (slot, s)
        time.sleep(0.02)
    assert not pending, f"key never worked on {sorted(pending)}"
    return time.time() - t0


def spread(c, key, n, conc, slots):
    """Send n requests through haproxy, conc at a time; returns per-slot 2xx deltas."""
    before, mock0 = c.stats(), c.mock_total()
    statuses = []
    lock = threading.Lock()

    def worker(k):
        for _ in range(k):
            s, b = chat(c.lb, key)
            with lock:
                statuses.append((s, b if s != 200 else None))

    ts = [threading.Thread(target=worker, args=(n // conc,)) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    bad = [x for x in statuses if x[0] != 200]
    assert len(statuses) == n // conc * conc and not bad, bad[:3]
    after = c.stats()
    got = {s: after[f"dp{s}"]["2xx"] - before[f"dp{s}"]["2xx"] for s in slots}
    assert sum(got.values()) == len(statuses), (got, len(statuses))
    # The mock provider saw at least every request the dataplanes answered.
    assert c.mock_total() - mock0 >= len(statuses)
    return got


KILL_GRACE = 0.25  # seconds


def kill_under_load(c, key, victim):
    """SIGKILL dataplane `victim` while 9 clients loop through haproxy."""
    stop_at = time.time() + 4.0
    results = []  # (start, end, ok, detail)
    lock = threading.Lock()

    def client():
        while time.time() < stop_at:
            t = time.time()
            try:
                s, b = chat(c.lb, key)
                ok, detail = s == 200, (s, str(b)[:200])
            except Exception as e:  # a reset connection is a failed request too
                ok, detail = False, repr(e)
            with lock:
                results.append((t, time.time(), ok, detail))

    ts = [threading.Thread(target=client) for _ in range(9)]
    for t in ts:
        t.start()
    time.sleep(1.5)
    t_kill = time.time()
    os.killpg(c.pid(f"dp{victim}"), signal.SIGKILL)
    for t in ts:
        t.join(30)
    failed = [r for r in results if not r[2]]
    after = [r for r in results if r[0] > t_kill]
    assert len(results) > 100, f"only {len(results)} requests under load"
    assert len(after) > 50, f"only {len(after)} requests after the kill"
    # Only requests in flight on the victim may fail. kill() returns before the kernel has torn
    # the process group down, and haproxy may already have handed a request to a pooled
    # connection of the dying server: a request that started within KILL_GRACE of the kill is
    # still one in flight on it. Nothing that started later may fail.
    for r in failed:
        assert r[1] >= t_kill and r[0] <= t_kill + KILL_GRACE, \
            f"request started {r[0] - t_kill:+.3f}s after the kill failed: {r[3]}"
    assert len(failed) <= 2 * 9, failed
    wait_until(lambda: c.stats()[f"dp{victim}"]["status"].startswith("DOWN"), 5,
               what=f"haproxy marking dp{victim} DOWN")
    return len(results), len(failed)


def main():
    c = LocalCluster()
    ok = False
    try:
        c.start()
        st = c.stats()
        assert [st[f"dp{i}"]["status"] for i in range(1, N + SPARES + 1)] == \
            ["UP"] * N + ["DOWN"] * SPARES, st
        # The demo key the script printed works through haproxy.
        s, b = chat(c.lb, c.conf["SY_DEMO_KEY"])
        assert s == 200 and b["choices"][0]["message"]["content"], (s, b)

        s, b = c.admin("POST", "/api/v1/orgs", {"name": "cluster-test"})
        assert s in (200, 201), (s, b)
        org = b["data"]["id"]
        s, b = c.admin("POST", f"/api/v1/orgs/{org}/credits", {"amount": 100})
        assert s == 201, (s, b)
        key = c.new_key(org)
        took = key_reaches(c, key, range(1, N + 1), 1.0)
        print(f"new key usable on all {N} dataplanes after {took:.2f}s")

        got = spread(c, key, 90, 6, range(1, N + 1))
        print(f"spread of 90 requests: {got}")
        for slot, n in got.items():
            assert n >= 9, f"dp{slot} served only {n} of 90: {got}"

        total, failed = kill_under_load(c, key, 2)
        print(f"kill under load: {total} requests, {failed} failed (in flight on dp2)")
        got = spread(c, key, 30, 3, (1, 3))
        assert all(n > 0 for n in got.values()), got

        # A key created while dp2 is down reaches the replacement through its snapshot.
        key2 = c.new_key(org)
        key_reaches(c, key2, (1, 3), 1.0)
        out = c.script("add")
        assert "dp2 " in out, out
        s, _, _ = http("GET", c.dp_url(2) + "/ready")
        assert s == 200
        s, b = chat(c.dp_url(2), key2)
        assert s == 200, (s, b)
        got = spread(c, key2, 60, 6, (1, 2, 3))
        print(f"after add, spread of 60 requests: {got}")
        assert got[2] >= 6, f"the new dataplane took {got[2]} of 60 requests: {got}"
        # And a key created now reaches all three within a second, the new one included.
        key_reaches(c, c.new_key(org), (1, 2, 3), 1.0)

        c.script("stop")
        for name in ("haproxy", "controlplane", "mock"):
            assert not os.path.exists(os.path.join(c.cdir, "pids", name + ".pid")), name
        with socket.socket() as sk:
            assert sk.connect_ex(("127.0.0.1", int(c.env["SY_LB_PORT"]))) != 0, \
                "haproxy still listening after stop"
        assert_clean_logs(c.cdir)
        ok = True
    finally:
        if not ok:
            sys.stderr.write(c.logs() + "\n")
        c.stop()
        if ok:
            subprocess.run(["rm", "-rf", c.dir])
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
