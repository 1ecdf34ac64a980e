"""free_ports.py - free ports on 127.0.0.1 for the scripts in deploy/ and bench/ (through
lib.sh's sy_free_ports) and for the integration tests (sy_cluster.py).

    python3 deploy/free_ports.py N     prints the first of N consecutive free ports

Ports are drawn at random from below the kernel's ephemeral range: a port the kernel hands
out for bind(0) is free now but may be taken by any outgoing connection (curl, ZeroMQ,
urllib) before the process it is meant for binds it. A port this process handed out once is
never handed out again.
"""
import random
import socket
import sys

_handed_out = set()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_run(n):
    """First of n consecutive free ports on 127.0.0.1."""
    hi = min(_ephemeral_low(), 65536) - n
    for _ in range(500):
        base = random.randrange(10000, hi)
        run = set(range(base, base + n))
        if run & _handed_out:
            continue
        socks = []
        try:
            for p in sorted(run):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        _handed_out.update(run)
        return base
    raise AssertionError("no run of free ports")


if __name__ == "__main__":
    print(free_run(int(sys.argv[1])))
