"""The harness fails a scenario whose processes printed a sanitizer report or did not exit
cleanly on SIGTERM, even when every assertion of the scenario passed (MODE=asan builds stop
at the first report with -fno-sanitize-recover=all; this is what makes such a stop, or a leak
found at exit, fail the suite). Stand-in processes print reports in the sanitizers' own words.
"""
import sys

from sy_cluster import Cluster, sanitizer_reports, wait_until

# One line of each kind of report, as the sanitizers print them.
ASAN = "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010"
LSAN = "==4242==ERROR: LeakSanitizer: detected memory leaks"
UBSAN = "dataplane/dp_money.c:120:17: runtime error: signed integer overflow: " \
        "9223372036854775807 + 1 cannot be represented in type 'long'"


def daemon(c, name, text="", exit_code=0):
    """A stand-in daemon: prints text to stderr, then waits for SIGTERM and exits exit_code."""
    script = (f"printf '%s\\n' \"$0\" >&2; echo started >&2; "
              f"trap 'exit {exit_code}' TERM; while :; do sleep 0.05; done")
    pr = c._spawn(name, ["sh", "-c", script, text])
    wait_until(lambda: "started" in pr.log(), 5, what=f"{name} started")
    return pr


def fails(text="", exit_code=0):
    """The problems the harness reports for one stand-in daemon (raises if it reports none)."""
    try:
        with Cluster() as c:
            daemon(c, "daemon", text, exit_code)
    except AssertionError as e:
        return str(e)
    raise AssertionError(f"the harness passed a daemon that printed {text!r} and exited "
                         f"{exit_code}")


def main():
    # the scanner: report lines are found, ordinary errors are not reports
    assert sanitizer_reports("ok\n" + ASAN + "\nmore") == [ASAN]
    assert sanitizer_reports(UBSAN) == [UBSAN]
    assert sanitizer_reports("ERROR: upstream said 500\nruntime: 3 s\nerror: runtime\n"
                             "WARN upstream error: runtime error: out of GPUs") == []

    # a clean daemon passes, and close() reports nothing
    with Cluster() as c:
        daemon(c, "clean", "warn: nothing to see")
        problems = c.close()
    assert problems == [], problems

    # each kind of report fails the scenario, naming the process and the report
    for report in (ASAN, LSAN, UBSAN):
        why = fails(report)
        assert "daemon:" in why and report in why, why
    # so does a daemon that exits non-zero on SIGTERM (LeakSanitizer's exit status is 23)
    why = fails(exit_code=23)
    assert "daemon exited 23 after SIGTERM" in why, why
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
