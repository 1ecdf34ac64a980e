"""CURVE on the controlplane's ZeroMQ sockets, on loopback (test_zmq_netns covers the network
boundary):
- flags: the two CURVE flags go together; a bad key file or authorized-keys line is a clear
  start-up error naming it; without CURVE any non-loopback endpoint is refused, loopback and
  ipc:// are fine;
- a client with a key that is not authorized gets no snapshot; `--gen-keys DIR NAME` adds a
  dataplane key to authorized_keys and the running controlplane accepts it without a restart;
- no secret key appears in the controlplane's log.
"""
import os
import subprocess
import sys

from sy_cluster import BIN, TOOLS, Cluster, gen_keys, json_lines

CP = os.path.join(BIN, "switchyard-controlplane")


def run_cp(args, env=None):
    p = subprocess.run([CP] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=dict(os.environ, **(env or {})), timeout=20)
    return p.returncode, p.stdout.decode(errors="replace")


def main():
    with Cluster() as c:
        keys = c.keys
        d = c.dir
        base = ["--data-dir", os.path.join(d, "flags"), "--admin-listen", "127.0.0.1:0", "-n"]
        bad = os.path.join(d, "bad_authorized")
        with open(bad, "w") as f:
            f.write("# dataplanes\n" + open(os.path.join(keys, "dataplane.pub")).read() +
                    "not-a-key dp2\n")
        short = os.path.join(d, "short.key")
        with open(short, "w") as f:
            f.write("tooshort\n")
        cases = [
            (["--curve-secret-file", os.path.join(keys, "controlplane.key")], "go together"),
            (["--curve-authorized", os.path.join(keys, "authorized_keys")], "go together"),
            (["--curve-secret-file", short, "--curve-authorized", bad], "Z85 key"),
            (["--curve-secret-file", os.path.join(keys, "controlplane.key"),
              "--curve-authorized", bad], "bad_authorized:3"),
            (["--zmq-snapshot", "tcp://0.0.0.0:1"], "reaches beyond this host"),
            (["--zmq-usage", "tcp://192.0.2.1:1"], "reaches beyond this host"),
            (["--zmq-publish", "tcp://*:1"], "reaches beyond this host"),
            (["--zmq-publish", "tcp://eth0:1"], "reaches beyond this host"),
        ]
        for args, want in cases:
            rc, out = run_cp(base + args)
            assert rc == 1 and want in out, (args, rc, out)
        for ep in ("tcp://127.0.0.1:1", "tcp://[::1]:1", "tcp://localhost:1",
                   "ipc://" + os.path.join(d, "s")):
            rc, out = run_cp(base + ["--zmq-snapshot", ep])
            assert rc == 0, (ep, out)
        # a bad line in the authorized keys stops the start (not only -n)
        rc, out = run_cp(["--data-dir", os.path.join(d, "bad"), "--admin-listen",
                          "127.0.0.1:0", "--curve-secret-file",
                          os.path.join(keys, "controlplane.key"), "--curve-authorized", bad],
                         {"SWITCHYARD_ADMIN_KEY": c.admin_key})
        assert rc == 1 and "bad_authorized:3" in out, (rc, out)

        c.start_controlplane()
        e = c.cp_endpoints()

        def sync(key_file, timeout="3000"):
            p = subprocess.run([os.path.join(TOOLS, "sync_client"), "--snapshot",
                                e["snapshot"], "--publish", e["publish"], "--until-seq", "1",
                                "--timeout-ms", timeout, "--curve-secret-file", key_file,
                                "--curve-server-key", os.path.join(keys, "controlplane.pub")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            return p.returncode, json_lines(p.stdout.decode(errors="replace"))

        rc, lines = sync(os.path.join(keys, "dataplane.key"))
        assert rc == 0 and lines[-1]["src"] == "ready", lines
        new = os.path.join(d, "later")  # a key made elsewhere, not yet authorized
        gen_keys(new, "dp2")
        rc, lines = sync(os.path.join(new, "dp2.key"), "2000")
        assert rc == 1 and [l["src"] for l in lines] == ["error"], lines
        gen_keys(keys, "dp2")  # in the cluster's directory: authorized_keys gains dp2
        rc, lines = sync(os.path.join(keys, "dp2.key"))
        assert rc == 0 and lines[-1]["src"] == "ready", lines
        log = c.cp.log()
        assert "re-read: 2 authorized key(s)" in log and "is not authorized" in log, log
        for f in ("controlplane.key", "dataplane.key", "dp2.key"):
            assert open(os.path.join(keys, f)).read().strip() not in log, f
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
