"""The ZeroMQ links across a real network boundary (network namespaces; needs root,
iproute2 and util-linux). Three namespaces made by this test, joined by veth pairs with addresses that exist
only inside them:

    dataplane ns 10.200.1.2 <-> 10.200.1.1  controlplane ns  10.200.2.1 <-> 10.200.2.2 attacker ns

The controlplane binds its three ZeroMQ sockets on every address of its namespace with CURVE;
the dataplane (with a mock provider on its own loopback) holds an authorized key. Checked:
- without CURVE the controlplane refuses to bind a non-loopback address (clear error);
- the keyed dataplane syncs and serves a chat whose cost reaches the ledger;
- the attacker reaches the ports (a TCP connect succeeds) but, with no key or with a key of its
  own that is not authorized, gets nothing from the snapshot and update sockets (no provider
  credential) and cannot move a balance through the usage socket; the refusals are counted;
- the authorized dataplane key cannot post costs for a key it holds no lease for.
Namespaces are deleted on every exit path (and leftovers of killed runs at start). They are
made with unshare/nsenter rather than `ip netns`, so the test also runs in a chroot.
"""
import atexit
import concurrent.futures
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

from sy_cluster import (ADMIN_KEY, BIN, KEK, TOOLS, Proc, curve_client_args, curve_server_args,
                        free_port, gen_keys, http, json_lines)

TAG = f"sy-it-{os.getpid()}"
NS = {"cp": TAG + "-cp", "dp": TAG + "-dp", "atk": TAG + "-atk"}
CP_DP, DP_IP, CP_ATK, ATK_IP = "10.200.1.1", "10.200.1.2", "10.200.2.1", "10.200.2.2"
SECRET = "provider-secret-netns-canary"
CLONE_NEWNET = 0x40000000


def ip(ns, *args):
    """ip(8) run inside namespace ns."""
    p = subprocess.run(enter(ns) + ["ip"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    assert p.returncode == 0, ("ip", ns, args, p.stdout.decode(errors="replace"))


# Each namespace is held by a sleeping process made with unshare(1) and entered through
# /proc/PID/ns/net with nsenter(1): unlike `ip netns add`, this needs no bind mount under
# /run/netns, so it also works in a chroot (fresh-debian-check). A namespace goes away with
# the last process inside it; holders carry TAG in their argv so leftovers of killed runs are
# found, and sleep for at most an hour in any case.
HOLDERS = {}


def enter(ns):
    return ["nsenter", f"--net=/proc/{HOLDERS[ns].pid}/ns/net", "--"]


def holder_pids(prefix):
    found = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                argv = open(f"/proc/{d}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            tags = [a.decode(errors="replace") for a in argv if a.startswith(prefix.encode())]
            if tags:
                found[int(d)] = tags[0]
    return found


def remove_namespaces():
    for h in HOLDERS.values():
        h.kill()
        h.wait()


def remove_stale():
    """Holders of earlier runs of this test whose process is gone (killed by a timeout)."""
    for pid, tag in holder_pids("sy-it-").items():
        owner = re.match(r"sy-it-(\d+)-", tag)
        if owner and not os.path.exists(f"/proc/{owner.group(1)}"):
            os.kill(pid, signal.SIGKILL)


def make_namespaces():
    for key, n in NS.items():
        HOLDERS[key] = subprocess.Popen(
            ["unshare", "--net", "--", sys.executable, "-c", "import time; time.sleep(3600)", n])
    for key in NS:
        net = f"/proc/{HOLDERS[key].pid}/ns/net"
        wait_for(lambda: os.readlink(net) != os.readlink("/proc/self/ns/net"), 5,
                 "namespace " + NS[key])
        ip(key, "link", "set", "lo", "up")
    # each pair is created inside the controlplane's namespace, its peer moved straight on
    pid = os.getpid() % 100000
    for other, here, there, mine, theirs in (("dp", f"syc{pid}", f"syd{pid}", CP_DP, DP_IP),
                                             ("atk", f"sya{pid}", f"syx{pid}", CP_ATK, ATK_IP)):
        ip("cp", "link", "add", here, "type", "veth", "peer", "name", there,
           "netns", str(HOLDERS[other].pid))
        ip("cp", "addr", "add", mine + "/24", "dev", here)
        ip(other, "addr", "add", theirs + "/24", "dev", there)
        ip("cp", "link", "set", here, "up")
        ip(other, "link", "set", there, "up")


class InNs:
    """Runs callables on a thread that entered namespace ns (setns is per thread), so the
    test's own HTTP calls and TCP probes come from inside it."""

    def __init__(self, ns):
        libc = ctypes.CDLL(None, use_errno=True)

        def enter_thread():
            fd = os.open(f"/proc/{HOLDERS[ns].pid}/ns/net", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns " + NS[ns])
            finally:
                os.close(fd)
        self.pool = concurrent.futures.ThreadPoolExecutor(1, initializer=enter_thread)

    def __call__(self, fn, *args, **kw):
        return self.pool.submit(fn, *args, **kw).result()


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def run_in(ns, argv, timeout=30):
    p = subprocess.run(enter(ns) + argv, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace")


def main():
    assert os.geteuid() == 0, "this test needs root (network namespaces)"
    remove_stale()
    procs = []
    tmp = tempfile.mkdtemp(prefix="sy-netns-")
    failed = True

    def cleanup():
        for pr in reversed(procs):
            pr.stop()
        remove_namespaces()
        if failed:
            for pr in procs:
                sys.stderr.write(f"---- {pr.name} ----\n{pr.log()[-5000:]}\n")
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        make_namespaces()
        keys = gen_keys(os.path.join(tmp, "keys"), "dp")
        stranger = gen_keys(os.path.join(tmp, "stranger"), "attacker")
        cp_ns, dp_ns, atk_ns = InNs("cp"), InNs("dp"), InNs("atk")
        snap, pub, usage, admin, mock, dport = (free_port() for _ in range(6))
        cp_argv = [os.path.join(BIN, "switchyard-controlplane"), "--data-dir",
                   os.path.join(tmp, "cp"), "--admin-listen", f"127.0.0.1:{admin}",
                   "--zmq-snapshot", f"tcp://0.0.0.0:{snap}", "--zmq-publish",
                   f"tcp://0.0.0.0:{pub}", "--zmq-usage", f"tcp://0.0.0.0:{usage}"]
        env = dict(os.environ, SWITCHYARD_ADMIN_KEY=ADMIN_KEY, SWITCHYARD_KEK=KEK)

        # ---- no CURVE: no binding beyond loopback ---------------------------------------
        p = subprocess.run(enter("cp") + cp_argv, env=env, timeout=20,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode(errors="replace")
        assert p.returncode == 1 and "reaches beyond this host" in out and "CURVE" in out, out

        def spawn(name, ns, argv, e=None):
            pr = Proc(name, enter(ns) + argv, e or dict(os.environ),
                      os.path.join(tmp, name + ".log"))
            procs.append(pr)
            return pr

        spawn("controlplane", "cp", cp_argv + curve_server_args(keys), env)
        A = f"http://127.0.0.1:{admin}"

        def adm(method, path, body=None):
            return cp_ns(http, method, A + path, body, {"Authorization": "Bearer " + ADMIN_KEY})

        wait_for(lambda: adm("GET", "/api/v1/orgs")[0] == 200, 15, "controlplane")
        spawn("mock", "dp", [os.path.join(BIN, "switchyard-mock"), "--listen",
                             f"127.0.0.1:{mock}"])
        s, b, _ = adm("POST", "/api/v1/providers", {
            "slug": "mock", "name": "Mock", "adapter": "openai",
            "base_url": f"http://127.0.0.1:{mock}/v1", "api_key": SECRET,
            "internal": True})
        assert s == 201, (s, b)
        s, b, _ = adm("POST", "/api/v1/models", {
            "id": "mock/echo", "name": "Mock Echo", "context_length": 8192,
            "endpoints": [{"provider": "mock", "provider_model_id": "echo",
                           "pricing": {"prompt": "0.000001", "completion": "0.000002"}}]})
        assert s == 201, (s, b)
        orgs, api_keys, hashes = [], [], []
        for name in ("victim", "bystander"):
            org = adm("POST", "/api/v1/orgs", {"name": name})[1]["data"]["id"]
            assert adm("POST", f"/api/v1/orgs/{org}/credits", {"amount": 100})[0] == 201
            s, b, _ = adm("POST", "/api/v1/keys", {"name": "k", "org_id": org})
            orgs.append(org)
            api_keys.append(b["key"])
            hashes.append(b["data"]["hash"])

        def money(org):
            d = adm("GET", f"/api/v1/orgs/{org}/credits")[1]["data"]
            return d["total_credits"], d["debits_posted"], d["debits_pending"], d["balance"]

        # ---- the keyed dataplane, across the boundary -----------------------------------
        eps = [f"tcp://{CP_DP}:{p}" for p in (snap, pub, usage)]
        spawn("dataplane", "dp", [
            os.path.join(BIN, "switchyard-dataplane"), "--listen", f"127.0.0.1:{dport}",
            "--workers", "1", "--zmq-snapshot", eps[0], "--zmq-publish", eps[1],
            "--zmq-usage", eps[2], "--spool-dir", os.path.join(tmp, "spool")] +
            curve_client_args(keys, "dp"))
        D = f"http://127.0.0.1:{dport}/api/v1"
        auth = {"Authorization": "Bearer " + api_keys[0]}
        wait_for(lambda: "mock/echo" in json.dumps(dp_ns(http, "GET", D + "/models",
                                                          headers=auth)[1]), 20,
                 "the model on the dataplane")
        s, b, _ = dp_ns(http, "POST", D + "/chat/completions",
                        {"model": "mock/echo", "messages": [{"role": "user", "content": "hi"}]},
                        auth, 30)
        assert s == 200, (s, b)
        wait_for(lambda: money(orgs[0])[1] > 0, 15, "the chat's cost on the ledger")

        # ---- the attacker: reaches the ports, gets nothing ------------------------------
        def tcp_open(port):
            with socket.create_connection((CP_ATK, port), timeout=5):
                return True
        for port in (snap, pub, usage):
            assert atk_ns(tcp_open, port), port
        before = [money(o) for o in orgs]
        atk_eps = [f"tcp://{CP_ATK}:{p}" for p in (snap, pub, usage)]
        own_key = ["--curve-secret-file", os.path.join(stranger, "attacker.key")]
        attempts = {
            "no key": [],
            "a key that is not authorized": own_key + [
                "--curve-server-key", os.path.join(keys, "controlplane.pub")],
            "a wrong controlplane key": own_key + [
                "--curve-server-key", os.path.join(stranger, "controlplane.pub")],
        }
        for what, extra in attempts.items():
            rc, out = run_in("atk", [os.path.join(TOOLS, "sync_client"), "--snapshot",
                                     atk_eps[0], "--publish", atk_eps[1], "--timeout-ms",
                                     "3000"] + extra)
            got = json_lines(out)
            assert rc == 1 and [l["src"] for l in got] == ["error"], (what, rc, out)
            assert SECRET not in out and "mock" not in out, (what, out)
            rc, out = run_in("atk", [os.path.join(TOOLS, "usage_client"), "--usage",
                                     atk_eps[2], "--key-hash", hashes[0], "--org", orgs[0],
                                     "--cost", str(500 * 10**10), "--prefix", "atk",
                                     "--timeout-ms", "3000"] + extra)
            assert rc == 1 and json_lines(out) == [], (what, rc, out)
        time.sleep(0.5)  # anything that slipped through would have settled by now
        after = [money(o) for o in orgs]
        for b0, a0 in zip(before, after):  # pending may only fall (the dataplane's lease)
            assert a0[:2] == b0[:2] and a0[2] <= b0[2], (before, after)

        # ---- the authorized key, for a key it holds no lease for ------------------------
        rc, out = run_in("dp", [os.path.join(TOOLS, "usage_client"), "--usage", eps[2],
                                "--key-hash", hashes[1], "--cost", str(500 * 10**10),
                                "--prefix", "forged", "--timeout-ms", "5000"] +
                         curve_client_args(keys, "dp"))
        assert rc == 0 and json_lines(out)[0]["complete"], (rc, out)
        assert money(orgs[1])[:2] == before[1][:2], (before[1], money(orgs[1]))

        s, text, _ = cp_ns(http, "GET", A + "/metrics")
        metrics = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and l[0] != "#")
        assert int(metrics["switchyard_cp_zap_refused_total"]) >= 1, metrics
        assert int(metrics["switchyard_cp_zap_accepted_total"]) >= 3, metrics
        assert metrics["switchyard_cp_usage_records_unauthorized_total"] == "1", metrics
        log = procs[0].log()
        assert "is not authorized" in log and SECRET not in log, log[-3000:]
        assert open(os.path.join(keys, "dp.key")).read().strip() not in log
        failed = False
    finally:
        cleanup()
        atexit.unregister(cleanup)
    assert not holder_pids(TAG), holder_pids(TAG)
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
