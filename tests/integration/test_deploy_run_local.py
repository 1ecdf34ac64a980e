"""`make run` (deploy/run-local.sh): refuses clearly when a port is taken and starts nothing;
otherwise starts the demo and prints an `export KEY=... SWITCHYARD_ADMIN_KEY=...` line, its
ports and where the docs are; after that export the commands it prints work as printed (curl
non-streaming and streaming, the OpenAI SDK snippet saved as demo.mjs), and so does every
example in README.md (its shell blocks and its JavaScript block, the demo's random ports put
in place of the default 8080/8081); Ctrl-C stops every process it started; a second run
(SIGTERM this time) works again from a fresh state.
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

from sy_cluster import BIN, assert_clean_logs, free_port, free_run, http, sdk_modules

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


def default_int():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


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
        # a terminal's shell: Ctrl-C is not ignored (a test run started in the background,
        # `make test &`, would otherwise hand on SIGINT ignored, and bash cannot trap it)
        self.p = subprocess.Popen(["bash", SCRIPT, BIN], env=self.env, stdout=self.out,
                                  stderr=subprocess.STDOUT, start_new_session=True,
                                  preexec_fn=default_int)
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
            return self.p.wait(40)
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


def exports(out):
    """The variables of the `export KEY=... SWITCHYARD_ADMIN_KEY=...` line make run prints."""
    m = re.search(r"^\s*export (KEY=sk-sy-v1-[0-9a-f]{64}) "
                  r"(SWITCHYARD_ADMIN_KEY=sk-sy-mgmt-v1-[0-9a-f]{64})$", out, re.M)
    assert m, f"no export line in:\n{out}"
    return dict(kv.split("=", 1) for kv in m.groups())


def run_node(source, tmp, name, env):
    """Save source as name (an ES module) beside the SDK's node_modules and run it."""
    d = os.path.join(tmp, "node-" + name)
    os.makedirs(d)
    os.symlink(sdk_modules(), os.path.join(d, "node_modules"))
    with open(os.path.join(d, name), "w") as fh:
        fh.write(source + "\n")
    p = subprocess.run(["node", name], cwd=d, env=env, timeout=60, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    text = p.stdout.decode(errors="replace")
    assert p.returncode == 0, text
    return text


def check_sdk_snippet(out, tmp, env):
    """The printed OpenAI SDK snippet, saved as demo.mjs and run with node as it says."""
    m = re.search(r"^(\s*import OpenAI from \"openai\";\n.*?console\.log\([^\n]*\);)$", out,
                  re.S | re.M)
    assert m, out
    assert "save as demo.mjs" in out, out
    text = run_node(m.group(1), tmp, "demo.mjs", env)
    assert "prompt_tokens" in text, text


def readme_blocks(lang):
    """README.md's fenced code blocks in lang."""
    with open(os.path.join(ROOT, "README.md")) as fh:
        return re.findall(r"^```" + lang + r"\n(.*?)^```$", fh.read(), re.S | re.M)


def check_readme(ports, env, tmp):
    """Every README example that calls the gateway, as written, after make run's export line;
    only the default ports are replaced by the demo's."""
    def local(text):
        return (text.replace("127.0.0.1:8080", f"127.0.0.1:{ports['SY_PUBLIC_PORT']}")
                .replace("127.0.0.1:8081", f"127.0.0.1:{ports['SY_ADMIN_PORT']}"))
    ran = 0
    for block in readme_blocks("sh"):
        if "127.0.0.1:808" not in block or "curl" not in block:
            continue  # build commands (make ...), not calls
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", local(block)], env=env, timeout=60,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        text = p.stdout.decode(errors="replace")
        assert p.returncode == 0, f"README block failed ({p.returncode}):\n{block}\n{text}"
        # an error envelope ({"error": {...}}, Anthropic's {"type": "error", ...}); a Response
        # object's "error": null is not one
        assert not re.search(r'"error":\s*\{|"type":\s*"error"', text), \
            f"README block answered an error:\n{block}\n{text}"
        assert env["KEY"] not in text and env["SWITCHYARD_ADMIN_KEY"] not in text, text
        ran += 1
    js = [b for b in readme_blocks("js") if "127.0.0.1:8080" in b]
    assert js, "README has no JavaScript example"
    for i, block in enumerate(js):
        text = run_node(local(block), tmp, f"readme{i}.mjs", env)
        assert "error" not in text.lower(), text
        ran += 1
    assert ran >= 4, f"only {ran} README examples found"
    return ran


def main():
    tmp = tempfile.mkdtemp(prefix="sy-runlocal-")
    demo = None
    ok = False
    try:
        check_port_taken(tmp)

        demo = Demo(tmp)
        out = demo.start()
        pub = demo.ports["SY_PUBLIC_PORT"]
        env = dict(os.environ, **exports(out))
        key = env["KEY"]
        assert f'baseURL: "http://127.0.0.1:{pub}/api/v1"' in out, out
        assert os.path.join(demo.demo, "") in out and ".log" in out, out
        for port in demo.ports.values():
            assert str(port) in out, f"port {port} not printed:\n{out}"
        assert "README.md" in out and "docs/" in out, out
        # The printed commands work as printed, after the export line.
        cmd = printed_command(out, f"curl http://127.0.0.1:{pub}/api/v1/chat/completions")
        p = subprocess.run(["bash", "-c", cmd + " -sS"], env=env, timeout=30,
                           stdout=subprocess.PIPE)
        body = p.stdout.decode()
        assert p.returncode == 0 and '"choices"' in body and key not in body, body
        cmd = printed_command(out, f"curl -N http://127.0.0.1:{pub}/api/v1/chat/completions")
        p = subprocess.run(["bash", "-c", cmd + " -sS"], env=env, timeout=30,
                           stdout=subprocess.PIPE)
        body = p.stdout.decode()
        assert p.returncode == 0 and "chat.completion.chunk" in body, body
        assert body.rstrip().endswith("data: [DONE]"), body
        check_sdk_snippet(out, tmp, env)
        print(f"README examples run: {check_readme(demo.ports, env, tmp)}")
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
        key2 = exports(out2)["KEY"]
        assert key2 != key
        # the demo has a model on each wire format: OpenAI's, Anthropic's and Gemini's
        for model, provider in (("openai/gpt-5.2", None), ("anthropic/claude-sonnet-4",
                                                           "mock-anthropic"),
                                ("google/gemini-3-flash-preview", "mock-google")):
            body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
            if provider:
                body["provider"] = {"order": [provider], "allow_fallbacks": False}
            s, b, _ = http("POST", f"http://127.0.0.1:{pub}/api/v1/chat/completions", body,
                           {"Authorization": "Bearer " + key2})
            assert s == 200 and b["choices"][0]["message"]["content"], (model, s, b)
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
