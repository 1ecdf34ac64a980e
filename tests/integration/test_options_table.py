"""Each binary's option table drives --help, -n and the README's flag table: every option is in
--help and in -n's output, the README's tables are the binaries' --options-markdown exactly,
and a bad value is refused naming the option."""
import os
import re
import subprocess

from sy_cluster import BIN

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
KEK = "11" * 32


def run(exe, args, env=None):
    p = subprocess.run([os.path.join(BIN, exe)] + args, capture_output=True, text=True,
                       timeout=20, env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout, p.stderr


def options(markdown):
    """The long option names of a --options-markdown table."""
    return re.findall(r"^\| `(?:-\w, )?--([a-z0-9-]+)", markdown, re.M)


def main():
    readme = open(os.path.join(ROOT, "README.md")).read()
    checks = {
        "switchyard-dataplane": ["-n"],
        "switchyard-controlplane": ["-n", "--data-dir", "/nonexistent/sy-options-test"],
        "switchyard-mock": ["-n"],
    }
    for exe, check_args in checks.items():
        rc, md, err = run(exe, ["--options-markdown"])
        assert rc == 0 and md.startswith("| flag | default | meaning |"), (exe, rc, md, err)
        names = options(md)
        assert len(names) >= 7 and "check" in names, (exe, names)
        if exe != "switchyard-mock":  # the mock's options are in docs/mock.md, in prose
            assert md in readme, f"README's table for {exe} differs from --options-markdown"
        rc, help_text, _ = run(exe, ["--help"])
        assert rc == 0
        rc, shown, err = run(exe, check_args, {"SWITCHYARD_KEK": KEK})
        assert rc == 0, (exe, rc, shown, err)
        printed = {line.split(" ", 1)[0] for line in shown.splitlines()}
        for name in names:
            assert "--" + name in help_text, (exe, name)
            assert name == "check" or name in printed, (exe, name, shown)
    # a value out of range names its option; the exit statuses are each binary's own
    assert run("switchyard-dataplane", ["--lease-wait-ms", "0"])[0] == 2
    rc, _, err = run("switchyard-dataplane", ["--max-body-kb", "x"])
    assert rc == 2 and "--max-body-kb" in err, err
    rc, _, err = run("switchyard-controlplane", ["--publish-ms", "5"])
    assert rc == 1 and "--publish-ms" in err, err
    rc, _, err = run("switchyard-mock", ["--tokens", "-1"])
    assert rc == 2 and "--tokens" in err, err
    # -n shows what was set, in the option's own units
    rc, out, _ = run("switchyard-dataplane", ["-n", "--max-body-kb", "64", "--workers", "3",
                                              "--allow-core-dumps"])
    assert rc == 0 and "max-body-kb 64\n" in out and "workers 3\n" in out, out
    assert "allow-core-dumps on\n" in out, out
    print("ok")


if __name__ == "__main__":
    main()
