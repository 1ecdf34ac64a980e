#!/usr/bin/env python3
"""Runs each libFuzzer target for a fixed time and prints what it did (make fuzz).

Every executable <name>_fuzz under --bin starts from its committed seeds, tests/fuzz/corpus/<name>,
with the tokens of tests/fuzz/dict/<name>.dict when there is one (JSON syntax and the member
names the parser looks for), and adds what it finds to build/fuzz/corpus/<name> (the seeds
are not changed). A crash, a sanitizer report, a leak or a slow unit (over 10 s) stops the
target and is written to build/fuzz/crashes/<name>/. One line per target gives time,
executions, coverage and corpus size; the closing line is 'N passed, N failed' and the exit
status is non-zero when a target failed or no target ran.
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))
from run_tests import show, summary  # noqa: E402  (tests/run_tests.py)


def stat(out, name):
    m = re.findall(r"stat::" + name + r":\s+(\d+)", out)
    return int(m[-1]) if m else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--only", help="substring filter on target names")
    a = ap.parse_args()

    names = sorted(f[:-len("_fuzz")] for f in os.listdir(a.bin) if f.endswith("_fuzz"))
    if a.only:
        names = [n for n in names if a.only in n]
    passed, failed = 0, []
    for name in names:
        seeds = os.path.join(HERE, "corpus", name)
        if not os.path.isdir(seeds) or not os.listdir(seeds):
            show(False, f"fuzz/{name}: no seed corpus in {seeds}", "", 0)
            failed.append(name)
            continue
        work = os.path.join(ROOT, "build", "fuzz", "corpus", name)
        crashes = os.path.join(ROOT, "build", "fuzz", "crashes", name)
        os.makedirs(work, exist_ok=True)
        os.makedirs(crashes, exist_ok=True)
        cmd = [os.path.join(a.bin, name + "_fuzz"), f"-max_total_time={a.seconds}",
               "-timeout=10", "-max_len=16384", "-print_final_stats=1",
               "-artifact_prefix=" + crashes + "/", work, seeds]
        dictionary = os.path.join(HERE, "dict", name + ".dict")
        if os.path.exists(dictionary):
            cmd.insert(1, "-dict=" + dictionary)
        t0 = time.time()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=a.seconds + 300)
        out = p.stdout.decode(errors="replace")
        dt = time.time() - t0
        cov = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", out)
        cov, ft, corp = cov[-1] if cov else ("?", "?", "?")
        ok = p.returncode == 0
        show(ok, f"fuzz/{name} ({dt:.0f}s): {stat(out, 'number_of_executed_units')} execs, "
             f"{stat(out, 'average_exec_per_sec')}/s, cov {cov}, ft {ft}, corpus {corp}", out, 60)
        if ok:
            passed += 1
        else:
            failed.append(name)
    return summary(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
