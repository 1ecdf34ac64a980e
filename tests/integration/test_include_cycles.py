"""No new include cycle between the modules of the dataplane or the controlplane
(tests/include_cycles.py): two modules whose files include each other's header.

The pairs that exist today are listed in KNOWN: the check fails when a pair appears that is
not listed (a new cycle) and when a listed pair is gone (then it must leave the list, so the
list only shrinks). The checker itself is first shown a tree with one cycle and one without,
so a checker that never reports anything fails here too."""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "tests", "include_cycles.py")

# The cycles left, each a mutual call dependency to take apart in its own change.
KNOWN = {
    ("dataplane", "dp_adapter", "dp_reasoning"),
    ("dataplane", "dp_debug", "dp_request"),
    ("dataplane", "dp_embed", "dp_route"),
    ("dataplane", "dp_free", "dp_money"),
    ("dataplane", "dp_money", "dp_ratelease"),
    ("dataplane", "dp_middleout", "dp_request"),
    ("controlplane", "cp_activity", "cp_billing"),
    ("controlplane", "cp_admin", "cp_auditlog"),
    ("controlplane", "cp_admin", "cp_billing"),
    ("controlplane", "cp_admin", "cp_reports"),
    ("controlplane", "cp_free", "cp_money"),
    ("controlplane", "cp_ledger", "cp_money"),
    ("controlplane", "cp_ledger", "cp_row"),
    ("controlplane", "cp_money", "cp_row"),
    ("controlplane", "cp_row", "cp_store"),
}

PAIR = re.compile(r"^include cycle in (\S+): (\w+) <-> (\w+) ", re.M)


def check(*dirs):
    p = subprocess.run([sys.executable, SCRIPT, *dirs], capture_output=True, text=True,
                       timeout=60, cwd=ROOT)
    return p.returncode, p.stdout + p.stderr


def write(d, name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)


def self_test():
    with tempfile.TemporaryDirectory() as t:
        write(t, "x_a.h", '#include "x_b.h"\n')
        write(t, "x_a.c", '#include "x_a.h"\n')
        write(t, "x_b.h", "\n")
        write(t, "x_b.c", '#include "x_b.h"\n')
        rc, out = check(t)
        assert rc == 0 and "no include cycle" in out, out
        write(t, "x_b.c", '#include "x_b.h"\n#include "x_a.h"\n')
        rc, out = check(t)
        assert rc == 1 and "x_a <-> x_b" in out, out


def main():
    self_test()
    rc, out = check("dataplane", "controlplane", "common")
    print(out, end="")
    found = {(os.path.basename(d), a, b) for d, a, b in PAIR.findall(out)}
    new = sorted(found - KNOWN)
    gone = sorted(KNOWN - found)
    assert not new, f"new include cycles: {new}"
    assert not gone, f"include cycles gone (take them out of KNOWN): {gone}"
    assert rc == (1 if found else 0), (rc, out)
    assert "no include cycle in common" in out, out
    print("ok")


if __name__ == "__main__":
    main()
