"""Slow and abusive clients cannot starve legitimate ones, on either listener.

- The dataplane runs with the common 1 024 file-descriptor limit (soft and hard, so it cannot
  raise it: before the fix its connection limit was 512 and 1 000 trickling connections took
  them all). 1 000 connections from 127.0.0.1 trickle header bytes (one a second, reconnecting
  when closed) while a legitimate client on 127.0.0.2 sends chat completions on fresh
  connections: >= 99 % succeed and their p99 latency stays within 2x that of the unattacked
  run. The unattacked run is a twin dataplane (same limits) measured at the same time,
  request by request in turn with the attacked one: the test machine is shared, and a
  baseline taken before the attack would compare different background loads.
- The per-IP limit refuses the attacker's connections beyond --max-conns-per-ip, and the
  header deadline (--header-timeout-ms, 10 s by default; 3 s here) answers the ones it took
  with a JSON 408 and closes them.
- The attack lasts the issue's 60 s (every accepted trickler is closed by the header deadline
  and replaced many times over).
- 300 trickling connections to the admin port: an operator on another address keeps getting
  answers at once.
- With only the soft fd limit at 1 024, a worker raises it to the hard limit.
"""
import http.client
import json
import multiprocessing
import os
import selectors
import socket
import time

from sy_cluster import Cluster

ATTACKERS = 1000
ADMIN_ATTACKERS = 300
ATTACK_S = 60
HEADER_MS = 3000
MSGS = [{"role": "user", "content": "hi"}]


class Trickle(multiprocessing.Process):
    """n connections from 127.0.0.1 sending one header byte a second, reopened when closed.
    A process of its own, so that it takes no time from the measured client."""

    def __init__(self, port, n):
        super().__init__(daemon=True)
        self.port, self.n = port, n
        self.stop = multiprocessing.Event()
        self.counts = multiprocessing.Array("l", 3)  # opened, closed, 408s

    opened = property(lambda self: self.counts[0])
    closed = property(lambda self: self.counts[1])
    got_408 = property(lambda self: self.counts[2])

    def _open(self, sel):
        s = socket.socket()
        s.setblocking(False)
        s.bind(("127.0.0.1", 0))
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        sel.register(s, selectors.EVENT_READ, [b"GET /api/v1/models HTTP/1.1\r\nHost: x\r\n"
                                               b"X-Slow: "])
        self.counts[0] += 1

    def run(self):
        """Spread over each second in 20 ticks: a steady trickle rather than bursts."""
        sel = selectors.DefaultSelector()
        tick = 0
        while not self.stop.is_set():
            for key, _ in sel.select(0.05):
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                self.counts[2] += data.startswith(b"HTTP/1.1 408")
                self.counts[1] += 1
                sel.unregister(key.fileobj)
                key.fileobj.close()
            for _ in range(min(self.n // 20, self.n - len(sel.get_map()))):
                self._open(sel)
            for i, key in enumerate(list(sel.get_map().values())):
                if i % 20 != tick % 20:
                    continue
                try:  # the request line first, then a byte at a time
                    key.fileobj.send(key.data[0] or b"a", socket.MSG_DONTWAIT)
                    key.data[0] = b""
                except OSError:
                    pass
            tick += 1
        for key in list(sel.get_map().values()):
            key.fileobj.close()


def timed(fn, n=None, seconds=None):
    """Run fn until n calls or seconds passed: (successes, calls, sorted latencies)."""
    lat, ok, calls, end = [], 0, 0, time.monotonic() + (seconds or 1e9)
    while (n is None or calls < n) and time.monotonic() < end:
        t0 = time.monotonic()
        try:
            ok += fn()
        except OSError:
            pass
        calls += 1
        lat.append(time.monotonic() - t0)
    return ok, calls, sorted(lat)


def p99(lat):
    return lat[min(len(lat) - 1, int(len(lat) * 0.99))]


def request(port, method, path, key, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                      source_address=("127.0.0.2", 0))
    try:
        hdrs = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
        conn.request(method, path, body=json.dumps(body) if body else None, headers=hdrs)
        r = conn.getresponse()
        r.read()
        return r.status == 200
    finally:
        conn.close()


def soft_nofile(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise AssertionError("no open files limit")


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, ValueError):
                pass
    return out


def main():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft >= ATTACKERS + ADMIN_ATTACKERS + 200, f"this test needs {ATTACKERS + 500} fds"
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane(extra=["--header-timeout-ms", str(HEADER_MS)])
        _, key, _ = c.setup_demo()
        dp = c.start_dataplane(workers=1, prefix=["prlimit", "--nofile=1024:1024", "--"],
                               extra=["--header-timeout-ms", str(HEADER_MS)])
        c.wait_models(dp, key, "mock/echo")

        twin = c.start_dataplane(workers=1, prefix=["prlimit", "--nofile=1024:1024", "--"],
                                 extra=["--header-timeout-ms", str(HEADER_MS)])
        c.wait_models(twin, key, "mock/echo")

        def chat(d):
            return request(d.port, "POST", "/api/v1/chat/completions", key,
                           {"model": "mock/echo", "messages": MSGS})

        def operator():
            return request(c.admin_port, "GET", "/api/v1/orgs", c.admin_key)

        dp_attack, cp_attack = Trickle(dp.port, ATTACKERS), Trickle(c.admin_port,
                                                                    ADMIN_ATTACKERS)
        dp_attack.start()
        cp_attack.start()
        time.sleep(2)  # the attack is in place
        # the unattacked run is the twin's, interleaved request by request with the attacked
        # one, so that both see the same load from everything else on the machine
        lat, base_lat, ok, base_ok, n, end = [], [], 0, 0, 0, time.monotonic() + ATTACK_S
        while time.monotonic() < end:
            for d, ls in ((dp, lat), (twin, base_lat)):
                t0 = time.monotonic()
                try:
                    r = chat(d)
                except OSError:
                    r = False
                ls.append(time.monotonic() - t0)
                if d is dp:
                    ok += r
                    n += 1
                else:
                    base_ok += r
        lat.sort()
        base_lat.sort()
        base_n = len(base_lat)
        op_ok, op_n, op_lat = timed(operator, n=20)
        dp_attack.stop.set()
        cp_attack.stop.set()
        dp_attack.join(10)
        cp_attack.join(10)

        print(f"baseline p99 {p99(base_lat) * 1000:.1f} ms over {base_n}; attacked {ok}/{n} "
              f"p99 {p99(lat) * 1000:.1f} ms; attacker opened {dp_attack.opened} closed "
              f"{dp_attack.closed} 408s {dp_attack.got_408}; operator {op_ok}/{op_n} "
              f"p99 {p99(op_lat) * 1000:.1f} ms")
        assert n >= 100 and ok >= 0.99 * n, (ok, n)
        assert base_ok == base_n, (base_ok, base_n)
        assert p99(lat) <= 2 * p99(base_lat), (p99(lat), p99(base_lat))
        assert op_ok == op_n and p99(op_lat) < 1.0, (op_ok, op_n, op_lat[-3:])
        # the per-IP limit turned most away; the header deadline closed the rest with a 408
        assert dp_attack.opened > 2 * ATTACKERS, dp_attack.opened
        assert dp_attack.got_408 >= 256, dp_attack.got_408
        assert cp_attack.got_408 >= 32, cp_attack.got_408
        assert dp.alive() and c.cp.alive()

        # with only the soft limit low, the worker raises it to the hard limit
        dp2 = c.start_dataplane(workers=1, prefix=["prlimit", "--nofile=1024:4096", "--"])
        workers = children(dp2.p.pid)
        assert workers and all(soft_nofile(w) == 4096 for w in workers), workers
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main())
