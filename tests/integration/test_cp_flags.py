"""switchyard-controlplane flags: --help; -n checks the configuration (flags, KEK, admin key,
catalog, stored credentials) and exits 0 or 1 with a message, without creating anything;
start-up refuses a bad configuration with exit 1.
"""
import json
import os
import subprocess
import sys
import tempfile

from sy_cluster import BIN, KEK, sanitizer_reports

CP = os.path.join(BIN, "switchyard-controlplane")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def run(args, env=None, timeout=20):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHYARD_")}
    e.update(env or {})
    p = subprocess.run([CP] + args, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    out = p.stdout.decode(errors="replace")
    assert not sanitizer_reports(out), out  # refusals exit 1 cleanly, not through a report
    return p.returncode, out


def main():
    rc, out = run(["--help"])
    assert rc == 0 and "--data-dir" in out and "--kek-file" in out and "-n" in out, out
    rc, out = run(["--no-such-flag"])
    assert rc == 1, out

    with tempfile.TemporaryDirectory(prefix="sy-cp-flags-") as d:
        data = os.path.join(d, "data")
        demo = os.path.join(ROOT, "deploy", "catalog.demo.json")
        example = os.path.join(ROOT, "deploy", "catalog.example.json")
        base = ["-n", "--data-dir", data]
        rc, out = run(base + ["--catalog", demo], {"SWITCHYARD_KEK": KEK})
        assert rc == 0 and "configuration ok" in out, out
        assert not os.path.exists(data), "-n created the data dir"
        rc, out = run(base + ["--catalog", example], {"SWITCHYARD_KEK": KEK})
        assert rc == 0 and "9 provider(s), 17 model(s)" in out, out

        bad_catalog = os.path.join(d, "bad.json")
        with open(bad_catalog, "w") as f:
            json.dump({"models": [{"id": "a/b", "endpoints": [
                {"provider": "p", "provider_model_id": "m",
                 "pricing": {"prompt": "cheap", "completion": "0"}}]}]}, f)
        checks = [
            (base + ["--catalog", bad_catalog], {}, "endpoints[0].pricing.prompt"),
            (base + ["--catalog", os.path.join(d, "missing.json")], {}, "missing.json"),
            (base + ["--admin-listen", "nowhere"], {}, "--admin-listen"),
            (base + ["--zmq-publish", "udp://x"], {}, "ZeroMQ endpoint"),
            (base + ["--zmq-usage", "tcp://127.0.0.1:5555"], {}, "given twice"),
            (base + ["--log-level", "loud"], {}, "--log-level"),
            (base + ["--map-size-mb", "0"], {}, "--map-size-mb"),
            (base, {"SWITCHYARD_KEK": "abc"}, "SWITCHYARD_KEK"),
            (base + ["--kek-file", os.path.join(d, "nokek")], {}, "--kek-file"),
            (base, {"SWITCHYARD_ADMIN_KEY": "letmein"}, "SWITCHYARD_ADMIN_KEY"),
        ]
        for args, env, needle in checks:
            rc, out = run(args, env)
            assert rc == 1 and needle in out, (args, env, rc, out)
        assert not os.path.exists(data)

        # a store with a credential sealed under one KEK fails -n under another
        kekfile = os.path.join(d, "kek")
        with open(kekfile, "w") as f:
            f.write("22" * 32 + "\n")
        env = {"SWITCHYARD_ADMIN_KEY": "sk-sy-mgmt-v1-" + "ab" * 32, "SWITCHYARD_MOCK_KEY": "x"}
        p = subprocess.Popen([CP, "--data-dir", data, "--kek-file", kekfile, "--catalog", demo,
                              "--admin-listen", "127.0.0.1:0", "--zmq-snapshot",
                              "ipc://" + d + "/s", "--zmq-publish", "ipc://" + d + "/p",
                              "--zmq-usage", "ipc://" + d + "/u"],
                             env=dict(os.environ, **env), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        try:
            deadline = 100
            while deadline and not os.path.exists(os.path.join(data, "data.mdb")):
                deadline -= 1
                subprocess.run(["sleep", "0.1"])
        finally:
            p.terminate()
            out = p.communicate(timeout=10)[0].decode()
        assert p.returncode == 0, out
        rc, out = run(["-n", "--data-dir", data, "--kek-file", kekfile])
        assert rc == 0, out
        rc, out = run(["-n", "--data-dir", data], {"SWITCHYARD_KEK": KEK})
        assert rc == 1 and "provider mock" in out and "cannot be decrypted" in out, out

        # start-up refuses what -n refuses
        rc, out = run(["--data-dir", data, "--catalog", bad_catalog, "--admin-listen",
                       "127.0.0.1:0", "--zmq-snapshot", "ipc://" + d + "/s", "--zmq-publish",
                       "ipc://" + d + "/p", "--zmq-usage", "ipc://" + d + "/u"],
                      {"SWITCHYARD_KEK": KEK})
        assert rc == 1 and "endpoints[0].pricing.prompt" in out, out
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
