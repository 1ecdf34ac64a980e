"""switchyard-mock end to end: the real binary on loopback, spoken to with http.client and raw
sockets. Non-streaming and streaming answers in OpenAI's format, tools, max_tokens, options in
the model name and in X-Mock-* headers, every fault's visible behaviour, per-prefix counters,
/mock/stats, /mock/last, /mock/reset, --help and a clean exit on SIGTERM.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

from sy_cluster import BIN, Cluster

AUTH = "Bearer sk-test-123"
HELLO = [{"role": "user", "content": "Hello there"}]  # 11 characters -> 3 prompt tokens
TOKENS16 = " ".join(f"tok{k}" for k in range(16))


class Mock:
    def __init__(self, cluster):
        self.port = cluster.mock_port

    def conn(self, timeout=5):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=5):
        """(status, headers, raw body bytes) of one request on a fresh connection."""
        c = self.conn(timeout)
        try:
            h = dict(headers or {})
            data = None
            if body is not None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                h.setdefault("Content-Type", "application/json")
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return r.status, r.headers, r.read()
        finally:
            c.close()

    def chat(self, model, path="/v1/chat/completions", auth=AUTH, headers=None, timeout=5,
             **fields):
        h = dict(headers or {})
        if auth:
            h["Authorization"] = auth
        body = {"model": model, "messages": fields.pop("messages", HELLO)}
        body.update(fields)
        return self.request("POST", path, body, h, timeout)

    def json(self, method, path, body=None):
        s, _, raw = self.request(method, path, body)
        return s, json.loads(raw)

    def raw_chat(self, model, stream, timeout):
        """Send a chat request on a raw socket; return (socket, start time)."""
        body = json.dumps({"model": model, "stream": stream, "messages": HELLO,
                           "stream_options": {"include_usage": True}}).encode()
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: mock\r\n"
                  b"Authorization: " + AUTH.encode() + b"\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return s, time.time()


def read_until_closed(sock):
    """All bytes until EOF or a reset; returns (data, how it ended: 'eof'|'reset'|'timeout')."""
    data = b""
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                return data, "eof"
            data += d
    except ConnectionResetError:
        return data, "reset"
    except socket.timeout:
        return data, "timeout"
    finally:
        sock.close()


def dechunk(raw):
    """Body of a raw HTTP/1.1 response, chunked or not, as far as it got."""
    head, _, body = raw.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" not in head.lower():
        return head, body
    out = b""
    while body:
        size_line, sep, rest = body.partition(b"\r\n")
        if not sep:
            break
        n = int(size_line.split(b";")[0], 16)
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return head, out


def sse_events(body):
    """The data of each SSE event ('[DONE]' or parsed JSON, or raw text if it is not JSON)."""
    events = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        assert block.startswith("data: "), block
        data = block[len("data: "):]
        if data == "[DONE]":
            events.append(data)
            continue
        try:
            events.append(json.loads(data))
        except ValueError:
            events.append(data)
    return events


def assert_openai_error(raw, code=None, etype=None):
    e = json.loads(raw)["error"]
    assert set(e) >= {"message", "type", "param", "code"}, e
    assert isinstance(e["message"], str) and e["message"], e
    if code is not None:
        assert e["code"] == code, e
    if etype is not None:
        assert e["type"] == etype, e
    return e


# ---- checks ---------------------------------------------------------------------------------

def check_models(m):
    for path in ("/v1/models", "/provider-b/v1/models"):
        s, j = m.json("GET", path)
        assert s == 200 and j["object"] == "list" and j["data"][0]["object"] == "model", (s, j)


def check_completion(m):
    s, h, raw = m.chat("echo")
    assert s == 200 and h["Content-Type"] == "application/json", (s, h)
    j = json.loads(raw)
    assert j["id"].startswith("chatcmpl-") and j["object"] == "chat.completion", j
    assert isinstance(j["created"], int) and j["model"] == "echo", j
    assert "system_fingerprint" in j
    c = j["choices"][0]
    assert c["index"] == 0 and c["finish_reason"] == "stop" and c["logprobs"] is None, c
    assert c["message"]["role"] == "assistant" and c["message"]["content"] == TOKENS16, c
    u = j["usage"]
    assert u["prompt_tokens"] == 3 and u["completion_tokens"] == 16, u
    assert u["total_tokens"] == 19, u
    assert u["prompt_tokens_details"]["cached_tokens"] == 0, u
    assert u["completion_tokens_details"]["reasoning_tokens"] == 0, u
    # deterministic content, a fresh id
    j2 = json.loads(m.chat("echo")[2])
    assert j2["choices"][0]["message"]["content"] == TOKENS16 and j2["id"] != j["id"]


def check_keepalive(m):
    c = m.conn()
    try:
        for _ in range(3):
            c.request("POST", "/v1/chat/completions",
                      body=json.dumps({"model": "echo@tokens=2", "messages": HELLO}),
                      headers={"Authorization": AUTH})
            r = c.getresponse()
            assert r.status == 200 and json.loads(r.read())["usage"]["completion_tokens"] == 2
    finally:
        c.close()


def check_auth_and_bad_requests(m):
    s, _, raw = m.chat("echo", auth=None)
    assert s == 401, s
    assert_openai_error(raw, "invalid_api_key", "invalid_request_error")
    s, _, raw = m.chat("echo", auth="Bearer ")
    assert s == 401, s
    s, _, raw = m.request("POST", "/v1/chat/completions", b"{not json",
                          {"Authorization": AUTH})
    assert s == 400, s
    assert_openai_error(raw, etype="invalid_request_error")
    for body in ({"model": "echo"}, {"model": "echo", "messages": []}, {"messages": HELLO},
                 {"model": "echo", "messages": HELLO, "max_tokens": 0}):
        s, _, raw = m.request("POST", "/v1/chat/completions", body, {"Authorization": AUTH})
        assert s == 400, (body, s)
        assert_openai_error(raw, etype="invalid_request_error")
    s, _, raw = m.chat("echo@bogus=1")
    assert s == 400 and "bogus" in assert_openai_error(raw)["message"], raw
    s, _, raw = m.chat("echo", headers={"X-Mock-Fault": "nonsense"})
    assert s == 400, s
    # a rejected request does not use up a -once fault
    s, _, _ = m.chat("echo@fault=500-once,key=badreq", max_tokens="x")
    assert s == 400, s
    assert m.chat("echo@fault=500-once,key=badreq")[0] == 500
    # unknown paths and wrong methods
    assert m.request("GET", "/nope")[0] == 404
    assert m.request("GET", "/v1/chat/completions")[0] == 405
    assert m.request("POST", "/v1/models", {})[0] == 405
    assert m.request("GET", "/mock/reset")[0] == 405


def check_streaming(m):
    s, h, raw = m.chat("echo", stream=True, stream_options={"include_usage": True})
    assert s == 200 and h["Content-Type"].startswith("text/event-stream"), (s, h)
    ev = sse_events(raw)
    assert ev[-1] == "[DONE]", ev[-1]
    chunks = ev[:-1]
    ids = {c["id"] for c in chunks}
    assert len(ids) == 1 and ids.pop().startswith("chatcmpl-"), ids
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "echo" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant", chunks[0]
    content = chunks[1:-2]
    assert len(content) == 16, len(content)
    assert all("role" not in c["choices"][0]["delta"] and c["choices"][0]["finish_reason"] is None
               for c in content)
    text = chunks[0]["choices"][0]["delta"].get("content") or ""
    text += "".join(c["choices"][0]["delta"]["content"] for c in content)
    assert text == TOKENS16, text
    fin = chunks[-2]
    assert fin["choices"][0]["finish_reason"] == "stop" and fin["choices"][0]["delta"] == {}, fin
    usage = chunks[-1]
    assert usage["choices"] == [], usage
    assert usage["usage"]["completion_tokens"] == 16 and usage["usage"]["prompt_tokens"] == 3

    # no include_usage: no usage chunk
    ev = sse_events(m.chat("echo", stream=True)[2])
    assert ev[-1] == "[DONE]" and ev[-2]["choices"][0]["finish_reason"] == "stop", ev[-2:]
    assert not any(isinstance(e, dict) and "usage" in e for e in ev), ev


def check_max_tokens(m):
    j = json.loads(m.chat("echo", max_tokens=3)[2])
    assert j["choices"][0]["finish_reason"] == "length", j
    assert j["choices"][0]["message"]["content"] == "tok0 tok1 tok2", j
    assert j["usage"]["completion_tokens"] == 3, j
    ev = sse_events(m.chat("echo", stream=True, max_completion_tokens=2)[2])
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in ev[:-1]
                   if e["choices"])
    assert text == "tok0 tok1" and ev[-2]["choices"][0]["finish_reason"] == "length", ev
    # a larger limit changes nothing
    j = json.loads(m.chat("echo@tokens=4", max_tokens=100)[2])
    assert j["choices"][0]["finish_reason"] == "stop" and j["usage"]["completion_tokens"] == 4


TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}]


def check_tools(m):
    j = json.loads(m.chat("echo", tools=TOOLS)[2])
    c = j["choices"][0]
    assert c["finish_reason"] == "tool_calls" and c["message"]["content"] is None, c
    tc = c["message"]["tool_calls"]
    assert len(tc) == 1 and tc[0]["id"].startswith("call_") and tc[0]["type"] == "function", tc
    assert tc[0]["function"]["name"] == "get_weather", tc
    assert json.loads(tc[0]["function"]["arguments"]) == {"location": "Paris"}, tc

    ev = sse_events(m.chat("echo", tools=TOOLS, stream=True)[2])
    assert ev[-1] == "[DONE]"
    deltas = [e["choices"][0]["delta"]["tool_calls"][0] for e in ev[:-1]
              if e["choices"] and "tool_calls" in e["choices"][0]["delta"]]
    assert len(deltas) in (3, 4), deltas
    first, rest = deltas[0], deltas[1:]
    assert first["index"] == 0 and first["id"].startswith("call_"), first
    assert first["type"] == "function" and first["function"]["name"] == "get_weather", first
    assert first["function"]["arguments"] == "", first
    assert all(set(d) == {"index", "function"} and set(d["function"]) == {"arguments"}
               for d in rest), rest
    args = "".join(d["function"]["arguments"] for d in rest)
    assert json.loads(args) == {"location": "Paris"}, args
    assert ev[-2]["choices"][0]["finish_reason"] == "tool_calls", ev[-2]


def check_usage_options(m):
    j = json.loads(m.chat("echo@usage=none")[2])
    assert "usage" not in j, j
    ev = sse_events(m.chat("echo@usage=none", stream=True,
                           stream_options={"include_usage": True})[2])
    assert not any(isinstance(e, dict) and "usage" in e for e in ev), ev
    j = json.loads(m.chat("echo@usage=cached:2,reasoning=5")[2])
    u = j["usage"]
    assert u["prompt_tokens_details"]["cached_tokens"] == 2 and u["prompt_tokens"] == 3, u
    assert u["completion_tokens_details"]["reasoning_tokens"] == 5, u
    assert u["completion_tokens"] == 21 and u["total_tokens"] == 24, u
    # prompt tokens: ceil(characters of every message / 4)
    j = json.loads(m.chat("echo", messages=[{"role": "system", "content": "x" * 10},
                                            {"role": "user", "content": "y" * 7}])[2])
    assert j["usage"]["prompt_tokens"] == 5, j["usage"]


def check_timing(m):
    t = time.time()
    assert m.chat("echo@latency=300")[0] == 200
    assert time.time() - t >= 0.29
    # ttft then tps: headers come at once, the first token after ttft, the rest paced
    c = m.conn()
    try:
        t = time.time()
        c.request("POST", "/v1/chat/completions",
                  body=json.dumps({"model": "echo@ttft=250,tps=20,tokens=5", "stream": True,
                                   "messages": HELLO}),
                  headers={"Authorization": AUTH})
        r = c.getresponse()
        assert r.status == 200
        t_headers = time.time() - t
        first = None
        while True:
            line = r.readline()
            if not line:
                break
            if first is None and b'"content":"tok0"' in line:
                first = time.time() - t
        total = time.time() - t
    finally:
        c.close()
    assert t_headers < 0.2, t_headers
    assert first is not None and first >= 0.24, first
    assert total >= 0.24 + 4 * 0.05 - 0.02, total  # 4 more tokens at 20/s
    assert total < 3, total


def check_status_faults(m):
    for fault, status in (("500", 500), ("503", 503), ("429", 429), ("502", 502)):
        s, h, raw = m.chat(f"echo@fault={fault}")
        assert s == status, (fault, s)
        assert_openai_error(raw)
        if fault == "429":
            assert h.get("Retry-After") is None, h
            assert_openai_error(raw, "rate_limit_exceeded")
    s, h, _ = m.chat("echo@fault=429-retry-after")
    assert s == 429 and h["Retry-After"] == "1", (s, h)
    s, h, _ = m.chat("echo@fault=429-retry-after-3")
    assert s == 429 and h["Retry-After"] == "3", (s, h)
    # streaming requests fail the same way, before any byte of a stream
    s, h, raw = m.chat("echo@fault=503", stream=True)
    assert s == 503 and h["Content-Type"] == "application/json", (s, h)
    s, _, raw = m.chat("echo@fault=context-length")
    e = assert_openai_error(raw, "context_length_exceeded", "invalid_request_error")
    assert s == 400 and e["param"] == "messages" and "maximum context length" in e["message"], e
    s, _, raw = m.chat("echo@fault=content-filter")
    assert s == 400, s
    assert_openai_error(raw, "content_filter")
    # the header does the same for direct use
    assert m.chat("echo", headers={"X-Mock-Fault": "503"})[0] == 503
    assert m.chat("echo", headers={"X-Mock-Tokens": "2"})[0] == 200


def check_once_and_flap(m):
    assert [m.chat("echo@fault=500-once")[0] for _ in range(3)] == [500, 200, 200]
    assert [m.chat("echo@fault=flap")[0] for _ in range(4)] == [503, 200, 503, 200]
    # the key option shares one fault state across model names and prefixes
    assert m.chat("a@fault=503-once,key=shared")[0] == 503
    assert m.chat("b@fault=503-once,key=shared", path="/b/v1/chat/completions")[0] == 200
    # ... and the default key is prefix|model: another prefix has its own
    assert m.chat("echo@fault=500-once", path="/other/v1/chat/completions")[0] == 500


def check_reset(m):
    for stream in (False, True):
        s, _ = m.raw_chat("echo@fault=reset", stream, timeout=3)
        data, how = read_until_closed(s)
        assert data == b"" and how in ("eof", "reset"), (data, how)
    try:
        m.chat("echo@fault=reset")
        raise AssertionError("reset fault answered")
    except (http.client.RemoteDisconnected, ConnectionError):
        pass


def check_no_response(m):
    s, t = m.raw_chat("echo@fault=no-response", False, timeout=1.0)
    data, how = read_until_closed(s)
    assert data == b"" and how == "timeout" and time.time() - t >= 0.9, (data, how)
    assert m.chat("echo")[0] == 200  # the mock carries on


def check_slow_first_token(m):
    t = time.time()
    s, _, raw = m.chat("echo@fault=slow-first-token,ttft=400", stream=True)
    assert s == 200 and time.time() - t >= 0.39, time.time() - t
    assert sse_events(raw)[-1] == "[DONE]"
    # the default wait (5 s) outlasts a short client timeout; no byte arrives
    s, t = m.raw_chat("echo@fault=slow-first-token", False, timeout=1.0)
    data, how = read_until_closed(s)
    assert data == b"" and how == "timeout", (data, how)


def check_stream_cut(m):
    s, _ = m.raw_chat("echo@fault=stream-cut", True, timeout=3)
    raw, how = read_until_closed(s)
    assert how in ("eof", "reset"), how
    head, body = dechunk(raw)
    assert b" 200 " in head.split(b"\r\n")[0], head
    assert not raw.endswith(b"0\r\n\r\n"), raw[-20:]  # no terminating chunk
    ev = sse_events(body)
    assert "[DONE]" not in ev and len(ev) >= 2, ev
    assert all(e["choices"][0]["finish_reason"] is None for e in ev), ev
    # non-streaming: a truncated body, then the connection closes
    try:
        m.chat("echo@fault=stream-cut")
        raise AssertionError("stream-cut answered completely")
    except http.client.IncompleteRead as e:
        assert 0 < len(e.partial) and not e.partial.endswith(b"}"), e.partial


def check_stream_stall(m):
    s, t = m.raw_chat("echo@fault=stream-stall,tokens=10", True, timeout=1.0)
    raw, how = read_until_closed(s)
    assert how == "timeout", how
    ev = sse_events(dechunk(raw)[1])
    assert 2 <= len(ev) <= 10 and "[DONE]" not in ev, ev
    assert m.chat("echo")[0] == 200


def check_malformed_and_missing_done(m):
    ev = sse_events(m.chat("echo@fault=malformed-chunk", stream=True)[2])
    bad = [e for e in ev if isinstance(e, str) and e != "[DONE]"]
    assert bad == ["{not json"], bad
    assert ev.index(bad[0]) > 1  # some tokens came first
    s, _, raw = m.chat("echo@fault=malformed-chunk")
    assert s == 200, s
    try:
        json.loads(raw)
        raise AssertionError("malformed body parsed")
    except ValueError:
        pass
    s, h, raw = m.chat("echo@fault=missing-done", stream=True,
                       stream_options={"include_usage": True})
    ev = sse_events(raw)
    assert s == 200 and "[DONE]" not in ev, ev
    assert ev[-1]["usage"]["completion_tokens"] == 16, ev[-1]
    assert ev[-2]["choices"][0]["finish_reason"] == "stop", ev[-2]


def check_stats_last_reset(m):
    s, j = m.json("POST", "/mock/reset")
    assert s == 200, (s, j)
    s, j = m.json("GET", "/mock/stats")
    assert j["total"] == 0 and j["requests"] == {}, j
    s, j = m.json("GET", "/mock/last")
    assert j == {}, j
    m.chat("echo")
    m.chat("echo", path="/b/v1/chat/completions", auth="Bearer sk-provider-b")
    m.chat("echo", path="/b/v1/chat/completions", auth="Bearer sk-provider-b")
    m.chat("echo@tokens=1", path="/x/y/v1/chat/completions")
    m.chat("echo", path="/b/v1/chat/completions", auth=None, max_tokens=5)  # 401, counted
    s, j = m.json("GET", "/mock/stats")
    assert j["requests"] == {"|echo": 1, "b|echo": 3, "x/y|echo@tokens=1": 1}, j
    assert j["prefixes"] == {"": 1, "b": 3, "x/y": 1} and j["total"] == 5, j
    s, j = m.json("GET", "/mock/last")
    assert j["path"] == "/b/v1/chat/completions" and j["authorization"] is None, j
    assert j["body"]["max_tokens"] == 5 and j["body"]["messages"] == HELLO, j
    m.chat("echo", path="/b/v1/chat/completions", auth="Bearer sk-provider-b")
    s, j = m.json("GET", "/mock/last")
    assert j["authorization"] == "Bearer sk-provider-b", j
    # reset also forgets -once states
    assert m.chat("echo@fault=500-once,key=r")[0] == 500
    assert m.chat("echo@fault=500-once,key=r")[0] == 200
    m.json("POST", "/mock/reset")
    assert m.chat("echo@fault=500-once,key=r")[0] == 500
    # introspection is top level only
    assert m.request("GET", "/b/mock/stats")[0] == 404


CHECKS = [check_models, check_completion, check_keepalive, check_auth_and_bad_requests,
          check_streaming, check_max_tokens, check_tools, check_usage_options, check_timing,
          check_status_faults, check_once_and_flap, check_reset, check_no_response,
          check_slow_first_token, check_stream_cut, check_stream_stall,
          check_malformed_and_missing_done, check_stats_last_reset]


def check_cli():
    exe = os.path.join(BIN, "switchyard-mock")
    p = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, timeout=10)
    assert p.returncode == 0 and b"--listen" in p.stdout and b"--tps" in p.stdout, p
    for bad in (["--tokens", "x"], ["--listen", "nowhere"], ["--threads", "0"], ["extra"]):
        p = subprocess.run([exe] + bad, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=10)
        assert p.returncode == 2 and p.stderr, (bad, p)


def check_sigterm_with_held_connections(c, m):
    held = [m.raw_chat("echo@fault=no-response", False, timeout=5)[0],
            m.raw_chat("echo@fault=stream-stall", True, timeout=5)[0],
            m.raw_chat("echo@tps=2,tokens=50", True, timeout=5)[0]]
    time.sleep(0.3)
    t = time.time()
    rc = c.mock.stop(signal.SIGTERM, timeout=5)
    assert rc == 0 and time.time() - t < 3, (rc, time.time() - t)
    for s in held:
        _, how = read_until_closed(s)
        assert how in ("eof", "reset"), how


def main():
    failed = 0
    with Cluster() as c:
        c.start_mock(["--threads", "2"])
        m = Mock(c)
        for check in CHECKS:
            try:
                check(m)
                print(f"ok   {check.__name__}", flush=True)
            except Exception as e:  # report every check, then fail
                failed += 1
                print(f"FAIL {check.__name__}: {type(e).__name__}: {e}", flush=True)
        for name, fn in (("check_cli", check_cli),
                         ("check_sigterm_with_held_connections",
                          lambda: check_sigterm_with_held_connections(c, m))):
            try:
                fn()
                print(f"ok   {name}", flush=True)
            except Exception as e:
                failed += 1
                print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        if failed:
            sys.stderr.write(c.mock.log()[-4000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
