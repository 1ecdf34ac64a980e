"""`make run` (deploy/run-local.sh): refuses clearly when a port is taken and starts nothing;
otherwise starts the demo, and the commands it prints work as printed (curl non-streaming and
streaming, the OpenAI SDK snippet when node and the SDK are available); Ctrl-C stops every
process it started; a second run (SIGTERM this time) works again from a fresh state.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from sy_cluster import BIN, SDK_DIR, assert_clean_logs, free_port, free_run, http

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "deploy", "run-local.sh")


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def pids_of(demo):
    d = os.path.join(demo, "pids")
    return [int(open(os.path.join(d, f)).read()) for f in os.listdir(d)] if os.path.isdir(d) else []


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def printed_command(out, first_line_prefix):
    """The shell command the script printed, starting with a line that begins with the prefix
    (after indentation) and continued by trailing backslashes."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(first_line_prefix):
            cmd = [line]
            while cmd[-1].endswith("\\"):
                i += 1
                cmd.append(lines[i])
            return "\n".join(cmd)
    raise AssertionError(f"no '{first_line_prefix}' command in:\n{out}")


class Demo:
    def __init__(self, tmp):
        self.demo = os.path.join(tmp, "demo")
        self.ready = os.path.join(tmp, "ready")
        self.ports = {"SY_PUBLIC_PORT": free_port(), "SY_ADMIN_PORT": free_port(),
                      "SY_MOCK_PORT": free_port(), "SY_ZMQ_PORT": free_run(3)}
        self.env = dict(os.environ, SY_DEMO_DIR=self.demo, SY_READY_FILE=self.ready,
                        **{k: str(v) for k, v in self.ports.items()})
        self.p = None
        self.out_path = os.path.join(tmp, "out.txt")

    def start(self):
        self.out = open(self.out_path, "wb")
        self.p = subprocess.Popen(["bash", SCRIPT, BIN], env=self.env, stdout=self.out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        end = time.time() + 60
        while not os.path.exists(self.ready):
            assert self.p.poll() is None, f"run-local.sh exited {self.p.returncode}:\n{self.text()}"
            assert time.time() < end, "run-local.sh not ready in 60s:\n" + self.text()
            time.sleep(0.1)
        return self.text()

    def text(self):
        with open(self.out_path, errors="replace") as fh:
            return fh.read()

    def stop(self, sig):
        """Signal the script alone (as a terminal's Ctrl-C reaches it); returns its exit code."""
        os.kill(self.p.pid, sig)
        try:
            return self.p.wait(20)
        finally:
            self.out.close()

    def kill_all(self):
        if self.p and self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        for pid in pids_of(self.demo):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def check_port_taken(tmp):
    d = Demo(tmp)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", d.ports["SY_ADMIN_PORT"]))
    blocker.listen(1)
    try:
        p = subprocess.run(["bash", SCRIPT, BIN], env=d.env, timeout=30,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    finally:
        blocker.close()
    out = p.stdout.decode(errors="replace")
    assert p.returncode != 0, out
    assert f"port {d.ports['SY_ADMIN_PORT']} (admin) is already in use" in out, out
    assert not listening(d.ports["SY_MOCK_PORT"]) and not pids_of(d.demo), out


def check_sdk_snippet(out, tmp):
    """Run the printed OpenAI SDK snippet with node, if node and the SDK are installed."""
    if not shutil.which("node") or not os.path.isdir(os.path.join(SDK_DIR, "node_modules", "openai")):
        print("note: node or the openai npm package missing; SDK snippet not run")
        return
    m = re.search(r"^(\s*import OpenAI from \"openai\";\n.*?console\.log\([^\n]*\);)$", out,
                  re.S | re.M)
    assert m, out
    d = os.path.join(tmp, "sdk")
    os.makedirs(d)
    os.symlink(os.path.join(SDK_DIR, "node_modules"), os.path.join(d, "node_modules"))
    with open(os.path.join(d, "demo.mjs"), "w") as fh:
        fh.write(m.group(1) + "\n")
    p = subprocess.run(["node", "demo.mjs"], cwd=d, timeout=60, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    text = p.stdout.decode(errors="replace")
    assert p.returncode == 0 and "prompt_tokens" in text, text


def main():
    tmp = tempfile.mkdtemp(prefix="sy-runlocal-")
    demo = None
    ok = False
    try:
        check_port_taken(tmp)

        demo = Demo(tmp)
        out = demo.start()
        pub = demo.ports["SY_PUBLIC_PORT"]
        key = re.search(r"demo API key (sk-sy-v1-[0-9a-f]{64})", out).group(1)
        assert re.search(r"admin key +sk-sy-mgmt-v1-[0-9a-f]{64}", out), out
        assert f'baseURL: "http://127.0.0.1:{pub}/api/v1"' in out, out
        assert os.path.join(demo.demo, "") in out and ".log" in out, out
        # The printed commands work as printed.
        cmd = printed_command(out, f"curl http://127.0.0.1:{pub}/api/v1/chat/completions")
        p = subprocess.run(["bash", "-c", cmd + " -sS"], timeout=30, stdout=subprocess.PIPE)
        body = p.stdout.decode()
        assert p.returncode == 0 and '"choices"' in body and key not in body, body
        cmd = printed_command(out, f"curl -N http://127.0.0.1:{pub}/api/v1/chat/completions")
        p = subprocess.run(["bash", "-c", cmd + " -sS"], timeout=30, stdout=subprocess.PIPE)
        body = p.stdout.decode()
        assert p.returncode == 0 and "chat.completion.chunk" in body, body
        assert body.rstrip().endswith("data: [DONE]"), body
        check_sdk_snippet(out, tmp)
        s, b, _ = http("GET", f"http://127.0.0.1:{pub}/api/v1/models")
        assert s == 200 and b["data"], (s, b)

        # Ctrl-C stops everything.
        pids = pids_of(demo.demo)
        assert len(pids) == 3, pids
        rc = demo.stop(signal.SIGINT)
        assert rc == 130, (rc, demo.text()[-2000:])
        assert "stopped" in demo.text()
        assert not [p for p in pids if alive(p)], "processes left after Ctrl-C"
        for port in demo.ports.values():
            assert not listening(port), f"port {port} still open after Ctrl-C"
        assert not os.path.exists(demo.ready)

        # Again, from a fresh state; SIGTERM stops it too.
        os.remove(demo.out_path)
        out2 = demo.start()
        key2 = re.search(r"demo API key (sk-sy-v1-[0-9a-f]{64})", out2).group(1)
        assert key2 != key
        s, b, _ = http("POST", f"http://127.0.0.1:{pub}/api/v1/chat/completions",
                       {"model": "openai/gpt-5.2", "messages": [{"role": "user", "content": "hi"}]},
                       {"Authorization": "Bearer " + key2})
        assert s == 200, (s, b)
        pids = pids_of(demo.demo)
        assert demo.stop(signal.SIGTERM) == 143
        assert not [p for p in pids if alive(p)], "processes left after SIGTERM"
        assert_clean_logs(demo.demo)
        ok = True
    finally:
        if demo:
            if not ok:
                sys.stderr.write(demo.text()[-3000:] + "\n")
                for f in sorted(os.listdir(demo.demo)) if os.path.isdir(demo.demo) else []:
                    if f.endswith(".log"):
                        with open(os.path.join(demo.demo, f), errors="replace") as fh:
                            sys.stderr.write(f"---- {f} ----\n{fh.read()[-2000:]}\n")
            demo.kill_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
