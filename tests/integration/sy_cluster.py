"""Start real Switchyard processes on loopback for integration tests.

    with Cluster() as c:
        c.start_mock(); c.start_controlplane(); c.start_dataplane()
        status, body = c.admin("POST", "/api/v1/orgs", {"name": "acme"})

Every process gets free 127.0.0.1 ports, a temp data dir and a log file; all are killed on
exit and their logs are printed when the scenario fails. The ZeroMQ links use CURVE unless
Cluster(curve=False): keys from `switchyard-controlplane --gen-keys` in <dir>/keys, the
dataplanes and the test tools connecting with the key "dataplane".
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = os.environ.get("SY_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))
TOOLS = os.environ.get("SY_TOOLS", os.path.join(os.path.dirname(__file__), "..", "..", "build", "tools"))
ADMIN_KEY = "sk-sy-mgmt-v1-" + "ab" * 32
KEK = "11" * 32

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "deploy"))
from free_ports import free_run  # noqa: E402  (deploy/free_ports.py)


def free_port():
    return free_run(1)


def http(method, url, body=None, headers=None, timeout=10):
    """Returns (status, parsed JSON or raw text, headers)."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, status, h = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        raw, status, h = e.read(), e.code, e.headers
    try:
        return status, json.loads(raw), h
    except ValueError:
        return status, raw.decode(errors="replace"), h


def sse(method, url, body=None, headers=None, timeout=30, stop_after=None):
    """A request whose answer may be an event stream, read as it arrives. Returns (status,
    headers, events, body): events are the blocks between blank lines ('data: ...' or
    ': comment') of a text/event-stream answer, else None with the parsed JSON (or text) in
    body. stop_after: close the connection after that many data events (a client going away)."""
    import http.client
    import urllib.parse
    u = urllib.parse.urlparse(url)
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        hdrs.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, u.path + (("?" + u.query) if u.query else ""), data, hdrs)
        r = conn.getresponse()
        if not (r.getheader("Content-Type") or "").startswith("text/event-stream"):
            raw = r.read()
            try:
                return r.status, r.headers, None, json.loads(raw)
            except ValueError:
                return r.status, r.headers, None, raw.decode(errors="replace")
        events, buf = [], b""
        while True:
            chunk = r.read1(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n\n" in buf:
                ev, buf = buf.split(b"\n\n", 1)
                events.append(ev.decode())
                if stop_after and sum(e.startswith("data:") for e in events) >= stop_after:
                    return r.status, r.headers, events, buf.decode(errors="replace")
        return r.status, r.headers, events, buf.decode(errors="replace")
    finally:
        conn.close()


def sse_data(events):
    """The data events of sse(): parsed JSON, or the raw text for '[DONE]'."""
    out = []
    for e in events:
        if e.startswith("data: "):
            d = e[6:]
            out.append(d if d == "[DONE]" else json.loads(d))
    return out


SDK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk")


def sdk_modules():
    """SDK_DIR's node_modules, installed with npm when missing. node and npm are test
    dependencies (make test-deps): their absence fails the test, it never skips."""
    import shutil as _sh
    for tool in ("node", "npm"):
        assert _sh.which(tool), f"{tool} is not installed: run make test-deps (as root)"
    mods = os.path.join(SDK_DIR, "node_modules")
    with open(os.path.join(SDK_DIR, "package.json")) as f:
        wanted = json.load(f)["dependencies"]
    # install when any dependency of package.json is missing, not only on the first run
    if not all(os.path.isfile(os.path.join(mods, name, "package.json")) for name in wanted):
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=SDK_DIR,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        if p.returncode != 0:
            raise AssertionError("npm install failed:\n" + p.stdout.decode(errors="replace"))
    return mods


def run_sdk_script(script, env, timeout=120):
    """Run node SDK_DIR/script (sdk_modules() first) with env added; returns the JSON object
    it prints."""
    sdk_modules()
    e = dict(os.environ)
    e.update(env)
    p = subprocess.run(["node", os.path.join(SDK_DIR, script)], cwd=SDK_DIR, env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"{script} exited {p.returncode}:\n" +
                             p.stderr.decode(errors="replace")[-4000:])
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def sdk_step(res, step):
    """The value of one step of an SDK check script's result, asserting the step succeeded."""
    r = res[step]
    assert r["ok"], (step, r)
    return r["value"]


def wait_until(pred, timeout=10.0, step=0.05, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = pred()
            if v:
                return v
        except Exception:
            pass
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def json_lines(text):
    """The JSON objects in a tool's output, one per line (other lines are skipped)."""
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


# What the sanitizers (MODE=asan) print when they find something: AddressSanitizer and
# LeakSanitizer errors, and UndefinedBehaviorSanitizer's "file:line:col: runtime error: ..."
# (with its position, so an upstream's message quoted in a log line is not taken for one).
SANITIZER_REPORT = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)"
                              r"|WARNING: AddressSanitizer|:\d+:\d+: runtime error: ")


def sanitizer_reports(text):
    """The lines of a process's output that start a sanitizer report."""
    return [line for line in text.splitlines() if SANITIZER_REPORT.search(line)]


def assert_clean_logs(directory):
    """For processes a script started: no *.log in directory holds a sanitizer report."""
    found = []
    for f in sorted(os.listdir(directory)):
        if f.endswith(".log"):
            with open(os.path.join(directory, f), errors="replace") as fh:
                found += [f"{f}: {line}" for line in sanitizer_reports(fh.read())]
    assert not found, "sanitizer reports:\n" + "\n".join(found)


class Proc:
    def __init__(self, name, argv, env, log):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log
        self.p = None
        self.problems = []  # exits that went wrong; Cluster.close fails the test on them
        self.start()

    def start(self):
        self.logf = open(self.log_path, "ab")
        self.p = subprocess.Popen(self.argv, env=self.env, stdout=self.logf,
                                  stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self):
        return self.p is not None and self.p.poll() is None

    # Longer than the dataplane's default --drain-ms (10 s), which it may use up waiting for
    # the controlplane to acknowledge usage records.
    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.p is None:
            return None
        if self.alive():
            try:
                os.killpg(self.p.pid, sig)
                self.p.wait(timeout=timeout)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
                if sig == signal.SIGTERM:
                    self.problems.append(f"{self.name} did not stop within {timeout}s of SIGTERM")
            else:
                # A daemon stops cleanly on SIGTERM; under the sanitizers a leak or an error at
                # exit shows here as a non-zero status.
                if sig == signal.SIGTERM and self.p.returncode != 0:
                    self.problems.append(f"{self.name} exited {self.p.returncode} after SIGTERM")
        rc = self.p.returncode
        self.logf.close()
        return rc

    # Defined after stop(): in the class body this name would shadow the signal module that
    # stop()'s default argument reads.
    def signal(self, sig):
        if self.alive():
            os.killpg(self.p.pid, sig)

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        self.start()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


def gen_keys(d, *names):
    """switchyard-controlplane --gen-keys d names...: the key directory (files
    controlplane.{key,pub}, <name>.{key,pub} for each name (default: dataplane) and
    authorized_keys listing the names)."""
    p = subprocess.run([os.path.join(BIN, "switchyard-controlplane"), "--gen-keys", d] +
                       list(names), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.returncode == 0, p.stdout.decode(errors="replace")
    return d


def curve_client_args(keys, name="dataplane"):
    """The flags that make a dataplane or a test tool a CURVE client with key <name>."""
    return ["--curve-secret-file", os.path.join(keys, name + ".key"),
            "--curve-server-key", os.path.join(keys, "controlplane.pub")]


def curve_server_args(keys):
    return ["--curve-secret-file", os.path.join(keys, "controlplane.key"),
            "--curve-authorized", os.path.join(keys, "authorized_keys")]


class Cluster:
    def __init__(self, admin_key=ADMIN_KEY, kek=KEK, curve=True):
        self.dir = tempfile.mkdtemp(prefix="sy-it-")
        self.admin_key, self.kek = admin_key, kek
        self.keys = gen_keys(os.path.join(self.dir, "keys")) if curve else None
        self.procs = []
        self.closed = False
        self.cp = self.mock = None
        self.dps = []
        p = free_port
        self.admin_port, self.snap_port, self.pub_port, self.usage_port = p(), p(), p(), p()

    # -- processes -----------------------------------------------------------------------
    def _spawn(self, name, argv, env=None):
        e = dict(os.environ)
        e.update(env or {})
        pr = Proc(name, argv, e, os.path.join(self.dir, name + ".log"))
        self.procs.append(pr)
        return pr

    def cp_endpoints(self):
        return {"snapshot": f"tcp://127.0.0.1:{self.snap_port}",
                "publish": f"tcp://127.0.0.1:{self.pub_port}",
                "usage": f"tcp://127.0.0.1:{self.usage_port}"}

    def start_controlplane(self, extra=None, env=None, wait=True):
        e = self.cp_endpoints()
        argv = [os.path.join(BIN, "switchyard-controlplane"),
                "--data-dir", os.path.join(self.dir, "cp-data"),
                "--admin-listen", f"127.0.0.1:{self.admin_port}",
                "--zmq-snapshot", e["snapshot"], "--zmq-publish", e["publish"],
                "--zmq-usage", e["usage"]] + (extra or [])
        if self.keys:
            argv += curve_server_args(self.keys)
        envv = {"SWITCHYARD_ADMIN_KEY": self.admin_key}
        if self.kek:
            envv["SWITCHYARD_KEK"] = self.kek
        envv.update(env or {})
        self.cp = self._spawn("controlplane", argv, envv)
        if wait:
            wait_until(lambda: self.admin("GET", "/api/v1/orgs")[0] == 200, 10,
                       what="controlplane admin API")
        return self.cp

    def start_mock(self, extra=None):
        self.mock_port = free_port()
        self.mock = self._spawn("mock", [os.path.join(BIN, "switchyard-mock"), "--listen",
                                         f"127.0.0.1:{self.mock_port}"] + (extra or []))
        wait_until(lambda: http("GET", f"{self.mock_url()}/models")[0] == 200, 10,
                   what="mock provider")
        return self.mock

    def mock_url(self):
        return f"http://127.0.0.1:{self.mock_port}/v1"

    def start_dataplane(self, workers=1, extra=None, wait_ready=True, env=None, prefix=None):
        """prefix: a command the dataplane runs under (e.g. prlimit with its options)."""
        port = free_port()
        e = self.cp_endpoints()
        metrics_port = free_port()
        argv = [os.path.join(BIN, "switchyard-dataplane"), "--listen", f"127.0.0.1:{port}",
                "--metrics-listen", f"127.0.0.1:{metrics_port}",
                "--workers", str(workers), "--zmq-snapshot", e["snapshot"],
                "--zmq-publish", e["publish"], "--zmq-usage", e["usage"],
                "--spool-dir", os.path.join(self.dir, f"dp-spool-{port}")] + (extra or [])
        if self.keys:
            argv += curve_client_args(self.keys)
        argv = list(prefix or []) + argv
        pr = self._spawn(f"dataplane-{port}", argv, env)
        pr.port = port
        pr.url = f"http://127.0.0.1:{port}"
        pr.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        self.dps.append(pr)
        if wait_ready:
            wait_until(lambda: http("GET", pr.url + "/ready")[0] == 200, 15,
                       what="dataplane ready")
        return pr

    # -- APIs --------------------------------------------------------------------------
    def admin(self, method, path, body=None, key=None):
        s, b, _ = http(method, f"http://127.0.0.1:{self.admin_port}{path}", body,
                       {"Authorization": "Bearer " + (key or self.admin_key)})
        return s, b

    def setup_demo(self, org_name="acme", credits=100):
        """Org + mock provider + model 'mock/echo' + key; returns (org_id, key_plaintext, hash).
        Orgs are prepaid: the org gets `credits` USD (None: none, so paid requests get 402)."""
        s, b = self.admin("POST", "/api/v1/providers", {
            "slug": "mock", "name": "Mock", "adapter": "openai", "internal": True,
            "base_url": self.mock_url(), "api_key": "mock-provider-secret"})
        assert s in (200, 201), (s, b)
        s, b = self.admin("POST", "/api/v1/models", {
            "id": "mock/echo", "name": "Mock Echo", "context_length": 8192,
            "endpoints": [{"provider": "mock", "provider_model_id": "echo",
                           "pricing": {"prompt": "0.000001", "completion": "0.000002"}}]})
        assert s in (200, 201), (s, b)
        s, b = self.admin("POST", "/api/v1/orgs", {"name": org_name})
        assert s in (200, 201), (s, b)
        org = b["data"]["id"]
        if credits is not None:
            s, b = self.admin("POST", f"/api/v1/orgs/{org}/credits", {"amount": credits})
            assert s in (200, 201), (s, b)
        s, b = self.admin("POST", "/api/v1/keys", {"name": "k1", "org_id": org})
        assert s == 201, (s, b)
        return org, b["key"], b["data"]["hash"]

    # -- inference helpers (chat and SDK tests) -----------------------------------------------
    def start_chat_cluster(self, dp_extra=None, workers=1):
        """Mock + controlplane + demo org/key ('mock/echo') + dataplane; returns (dp, key)."""
        self.start_mock()
        self.start_controlplane()
        _, key, _ = self.setup_demo()
        dp = self.start_dataplane(workers=workers, extra=dp_extra)
        self.wait_models(dp, key, "mock/echo")
        return dp, key

    def add_mock_provider(self, slug, name=None, prefix=None, **fields):
        """A provider served by the mock under /<prefix>/v1 (prefix defaults to the slug, so
        its fault state is its own), marked internal (the mock is on loopback). Extra fields
        (e.g. first_byte_timeout_ms) go to the admin API as given."""
        body = {"slug": slug, "name": name or slug, "adapter": "openai", "internal": True,
                "base_url": f"http://127.0.0.1:{self.mock_port}/{prefix or slug}/v1",
                "api_key": f"secret-of-{slug}"}
        body.update(fields)
        s, b = self.admin("POST", "/api/v1/providers", body)
        assert s in (200, 201), (s, b)

    def add_model(self, model_id, endpoints, context_length=8192):
        """endpoints: [(provider slug, provider model id (mock options allowed, e.g.
        'echo@fault=503'), prompt price, completion price)]; prices default to the demo's."""
        eps = []
        for e in endpoints:
            prompt, completion = (e[2], e[3]) if len(e) > 2 else ("0.000001", "0.000002")
            eps.append({"provider": e[0], "provider_model_id": e[1],
                        "pricing": {"prompt": prompt, "completion": completion}})
        s, b = self.admin("POST", "/api/v1/models", {"id": model_id, "name": model_id,
                                                     "context_length": context_length,
                                                     "endpoints": eps})
        assert s in (200, 201), (s, b)

    def wait_models(self, dp, key, *model_ids, timeout=10):
        """Until the dataplane's /models lists every one of model_ids."""
        def have():
            s, b, _ = http("GET", dp.url + "/api/v1/models",
                           headers={"Authorization": "Bearer " + key})
            return s == 200 and set(model_ids) <= {m["id"] for m in b["data"]}
        wait_until(have, timeout, what=f"models {model_ids} on the dataplane")

    def run_sdk_check(self, script):
        """The SDK tests' stage: a chat cluster plus f/cut (the stream is cut mid-answer) and
        f/down (503) on Provider A, then node sdk/<script> against it (SY_BASE_URL, SY_KEY,
        SY_MODEL, SY_CUT_MODEL, SY_DOWN_MODEL). Returns its result, shown on stderr; read
        each step with sdk_step()."""
        dp, key = self.start_chat_cluster()
        self.add_mock_provider("pa", "Provider A")
        self.add_model("f/cut", [("pa", "echo@fault=stream-cut")])
        self.add_model("f/down", [("pa", "echo@fault=503")])
        self.wait_models(dp, key, "f/cut", "f/down")
        res = run_sdk_script(script, {
            "SY_BASE_URL": dp.url + "/api/v1", "SY_KEY": key, "SY_MODEL": "mock/echo",
            "SY_CUT_MODEL": "f/cut", "SY_DOWN_MODEL": "f/down"})
        sys.stderr.write(json.dumps(res, indent=1)[:4000] + "\n")
        return res

    def chat(self, dp, key, body, headers=None, timeout=30):
        """POST /api/v1/chat/completions (non-streaming): (status, JSON, headers)."""
        h = {"Authorization": "Bearer " + key}
        h.update(headers or {})
        return http("POST", dp.url + "/api/v1/chat/completions", body, h, timeout)

    def chat_stream(self, dp, key, body, headers=None, timeout=30, stop_after=None):
        """POST a chat with stream=true through sse(): (status, headers, events, body)."""
        h = {"Authorization": "Bearer " + key}
        h.update(headers or {})
        return sse("POST", dp.url + "/api/v1/chat/completions", dict(body, stream=True), h,
                   timeout, stop_after)

    def generation(self, dp, key, gen_id, timeout=10):
        """GET /api/v1/generation?id= with the key, waiting until the record arrived."""
        def get():
            s, b, _ = http("GET", f"{dp.url}/api/v1/generation?id={gen_id}",
                           headers={"Authorization": "Bearer " + key})
            return b["data"] if s == 200 else None
        return wait_until(get, timeout, 0.1, what=f"generation {gen_id}")

    def mock_stats(self):
        """The mock's GET /mock/stats counters."""
        return http("GET", f"http://127.0.0.1:{self.mock_port}/mock/stats")[1]

    # -- test tools (tests/tools, built into SY_TOOLS) ------------------------------------
    def tool_argv(self, name, args):
        """SY_TOOLS/<name> with args, as this cluster's CURVE client when CURVE is on."""
        return ([os.path.join(TOOLS, name)] + list(args) +
                (curve_client_args(self.keys) if self.keys else []))

    def start_tool(self, name, args):
        """Starts SY_TOOLS/<name> like the other processes; its log holds its stdout."""
        n = sum(1 for pr in self.procs if pr.name.startswith(name + "-"))
        return self._spawn(f"{name}-{n}", self.tool_argv(name, args))

    def sync_client(self, *args):
        """tests/tools/sync_client against this cluster's controlplane (see its --help)."""
        e = self.cp_endpoints()
        return self.start_tool("sync_client",
                               ["--snapshot", e["snapshot"], "--publish", e["publish"]] + list(args))

    def close(self, failed=False):
        """Stop every process and return the problems found: a process that printed a
        sanitizer report or did not exit 0 on SIGTERM (leaving the `with` block raises
        AssertionError on them, even if the scenario itself passed). Idempotent."""
        if self.closed:
            return []
        self.closed = True
        for pr in reversed(self.procs):
            pr.stop()
        problems = [p for pr in self.procs for p in pr.problems]
        for pr in self.procs:
            problems += [f"{pr.name}: {line}" for line in sanitizer_reports(pr.log())]
        if problems:
            sys.stderr.write("".join(f"PROBLEM {p}\n" for p in problems))
            failed = True
        if failed:
            for pr in self.procs:
                sys.stderr.write(f"---- {pr.name} log ----\n{pr.log()[-6000:]}\n")
        if not failed or os.environ.get("SY_KEEP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        return problems

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        problems = self.close(failed=et is not None)
        if problems and et is None:
            raise AssertionError("processes failed at exit:\n" + "\n".join(problems))
        return False
