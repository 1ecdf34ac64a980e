#!/usr/bin/env python3
"""Runs the unit test binaries (cmocka) and the integration scenarios, prints one summary.

Unit tests: every executable under --unit. Integration tests: tests/integration/test_*.py,
each run as its own process with SY_BIN pointing at the binaries. Exit status is non-zero
when anything failed. The closing line is 'N passed, N failed'.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, env, timeout):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), time.time() - t0
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        return -1, out + f"\nTIMEOUT after {timeout}s\n", time.time() - t0


def show(ok, line, out, tail):
    """One result line; a failure's last `tail` lines of output follow it, indented."""
    print(f"{'PASS' if ok else 'FAIL'} {line}", flush=True)
    if not ok:
        sys.stdout.write("".join("    " + l + "\n" for l in out.splitlines()[-tail:]))


def summary(passed, failures):
    """The closing lines; returns the exit status: non-zero when anything failed or nothing
    ran."""
    print()
    if failures:
        print("failed: " + ", ".join(failures))
    print(f"{passed} passed, {len(failures)} failed")
    return 0 if not failures and passed > 0 else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--unit")
    ap.add_argument("--tools", default="")
    ap.add_argument("--only", help="substring filter on test names")
    ap.add_argument("--no-unit", action="store_true")
    ap.add_argument("--no-integration", action="store_true")
    a = ap.parse_args()

    env = dict(os.environ)
    env["SY_BIN"] = os.path.abspath(a.bin)
    env["SY_TOOLS"] = os.path.abspath(a.tools) if a.tools else ""
    env["PYTHONPATH"] = os.path.join(HERE, "integration") + os.pathsep + env.get("PYTHONPATH", "")
    passed, failures = 0, []

    tests = []
    if not a.no_unit and a.unit and os.path.isdir(a.unit):
        for root, _, files in sorted(os.walk(a.unit)):
            for f in sorted(files):
                path = os.path.join(root, f)
                if os.access(path, os.X_OK):
                    tests.append(("unit/" + os.path.relpath(path, a.unit), [path], 120))
    if not a.no_integration:
        idir = os.path.join(HERE, "integration")
        for f in sorted(os.listdir(idir)):
            if f.startswith("test_") and f.endswith(".py"):
                tests.append(("integration/" + f, [sys.executable, os.path.join(idir, f)], 300))
    if a.only:
        tests = [t for t in tests if a.only in t[0]]

    for name, cmd, timeout in tests:
        rc, out, dt = run(cmd, env, timeout)
        ok = rc == 0
        show(ok, f"{name} ({dt:.1f}s)", out, 80)
        if ok:
            passed += 1
        else:
            failures.append(name)
    return summary(passed, failures)


if __name__ == "__main__":
    sys.exit(main())
