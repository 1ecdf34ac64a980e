#!/usr/bin/env python3
"""include_cycles.py DIR... - report include cycles between the modules of each directory.

A module is a pair x.c + x.h in one directory (a header without a .c is only a declaration
and cannot close a cycle). Module X depends on module Y when x.c or x.h includes "y.h"
directly. Two modules that depend on each other are an include cycle: dp_chat.c including
dp_http.h while dp_http.c includes dp_chat.h. Every such pair is printed with the include
lines that close it, and makes the exit status 1.

Longer loops (X -> Y -> Z -> X, where headers include each other's types) are listed too,
as the strongly connected components of the dependency graph, but do not fail the check:
they come mostly from headers that need another module's types, which a pair-free tree
still has. Reading the #include lines is enough here: the tree's headers are included by
their plain file name (see the Makefile's -I list), and a header's includes count for its
module.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(d):
    """{name: set of modules it includes} for the modules (x.c with x.h) of directory d."""
    names = {f[:-2] for f in os.listdir(d) if f.endswith(".c")}
    names = {n for n in names if os.path.exists(os.path.join(d, n + ".h"))}
    deps = {}
    for n in sorted(names):
        got = set()
        for ext in (".c", ".h"):
            with open(os.path.join(d, n + ext), encoding="utf-8", errors="replace") as f:
                for inc in INCLUDE.findall(f.read()):
                    m = os.path.basename(inc)[:-2] if inc.endswith(".h") else None
                    if m in names and m != n:
                        got.add(m)
        deps[n] = got
    return deps


def cycles(deps):
    """The strongly connected components of two or more modules (Tarjan, iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(deps):
        if root in index:
            continue
        work = [(root, iter(sorted(deps[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(deps[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main(dirs):
    bad = 0
    for d in dirs:
        deps = modules(d)
        pairs = sorted((a, b) for a in deps for b in deps[a] if a < b and a in deps[b])
        for a, b in pairs:
            bad += 1
            print(f"include cycle in {d}: {a} <-> {b} ({a} includes {b}.h, {b} includes {a}.h)")
        if not pairs:
            print(f"no include cycle in {d} ({len(deps)} modules)")
        for comp in cycles(deps):
            print(f"  longer loop in {d} (not failing): {' '.join(comp)}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
