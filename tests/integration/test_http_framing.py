"""HTTP framing (request smuggling) and the API key in the logs, on both listeners: the public
API (dataplane) and the admin API (controlplane), over raw sockets.

- Each ambiguous or malformed request (two Content-Length headers, Content-Length with
  Transfer-Encoding, a space in a header name, a Transfer-Encoding other than exactly
  'chunked', no Host, two Hosts, a control character in a header value, a bare CR in the
  request line) gets 400 in the JSON envelope with Connection: close, and nothing after it on
  the connection is answered: the body, which is itself a complete request, is never served.
- A header block over 8 KiB gets a JSON 431; a garbage request line (a TLS ClientHello) a
  JSON 400 within a second; a request line that never ends a JSON 408 at the header deadline,
  and the connection is closed; a body that stops coming is cut at the body deadline.
- Every request carries a real API key (a canary) in Authorization; afterwards no process log
  holds it, nor a raw header block in an access line's path.
- A chat body that is valid JSON followed by a NUL is a 400 naming the NUL.
- Requests libmicrohttpd 0.9.75 would refuse itself before our handler runs, in HTML with its
  header block twice (a Content-Length that is not a number or past 2^64, a CR after the HTTP
  version, a header block past its connection memory), and a NUL in a header value (which it
  cuts, serving the request): each gets one JSON answer with the right status and
  Connection: close, then the connection closes. Pipelined after a good request, they are
  never read when every answer closes its connection (the admin API always; the dataplane
  with --one-request-per-connection): each request's header block is then a connection's
  first, which the listeners judge before libmicrohttpd reads it. A dataplane started
  without it (the default) serves a second request on a connection.
"""
import json
import socket
import time

from sy_cluster import Cluster

HEADER_MS = 1500
BODY_MS = 1500


def smuggle(name, head, second=b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"):
    """A request whose body is a second, complete request (served only if framing is lost)."""
    body = second
    return name, head.replace(b"@LEN", str(len(body)).encode()) + body


def cases(key):
    auth = b"Authorization: Bearer " + key.encode() + b"\r\n"
    post = b"POST /api/v1/chat/completions HTTP/1.1\r\n" + auth
    return [
        smuggle("two content-lengths", post + b"Host: x\r\nContent-Length: 0\r\n"
                b"Content-Length: @LEN\r\n\r\n"),
        smuggle("content-length and chunked", post + b"Host: x\r\nContent-Length: @LEN\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"),
        smuggle("space before colon", post + b"Host: x\r\nContent-Length : @LEN\r\n\r\n"),
        smuggle("space in name", post + b"Host: x\r\nContent Length: @LEN\r\n\r\n"),
        smuggle("gzip coding", post + b"Host: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
        smuggle("xchunked", post + b"Host: x\r\nTransfer-Encoding: xchunked\r\n\r\n"),
        smuggle("chunked, identity", post + b"Host: x\r\nTransfer-Encoding: chunked, identity"
                b"\r\n\r\n"),
        ("no host", b"GET /api/v1/key HTTP/1.1\r\n" + auth + b"\r\n"),
        ("two hosts", b"GET /api/v1/key HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + auth + b"\r\n"),
        ("control character", b"GET /api/v1/key HTTP/1.1\r\nHost: a\r\nX-A: a\x01b\r\n" +
         auth + b"\r\n"),
        ("bare CR in the request line", b"GET /api/v1/key\r" + auth[:-2] +
         b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    ]


def library_cases(key):
    """Requests libmicrohttpd 0.9.75 would answer itself (HTML, header block twice) or serve
    wrongly (a NUL cuts the value): the listeners judge the raw header block first."""
    auth = b"Authorization: Bearer " + key.encode() + b"\r\n"
    post = b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth
    second = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    return [
        ("content-length not a number", post + b"Content-Length: 1x\r\n\r\n" + second,
         400, "Content-Length"),
        ("content-length past 2^64", post + b"Content-Length: 18446744073709551616\r\n\r\n"
         + second, 413, "Content-Length"),
        ("CR after the version", b"GET /api/v1/key HTTP/1.1\r" + auth + b"Host: a\r\n\r\n",
         400, "request line"),
        ("headers past the connection memory", b"GET /health HTTP/1.1\r\nHost: a\r\n" + auth
         + b"".join(b"X-%d: %s\r\n" % (i, b"a" * 1000) for i in range(100)) + b"\r\n",
         431, None),
        ("NUL in a header value", b"GET /health HTTP/1.1\r\nHost: a\r\nX-A: a\x00" +
         key.encode() + b"\r\n" + auth + b"Connection: close\r\n\r\n", 400, "NUL"),
    ]


def exchange(port, raw, timeout=5):
    """Send raw, read until the server closes: (bytes, closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(raw)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return out, True
            out += d
    except socket.timeout:
        return out, False
    finally:
        s.close()


def responses(data):
    """[(status, headers dict, body bytes)] of the HTTP responses in data."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, ("truncated response", data[:300])
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {k.strip().lower(): v.strip() for k, v in
                (ln.split(":", 1) for ln in lines[1:])}
        n = int(hdrs.get("content-length", "0"))
        out.append((status, hdrs, rest[:n]))
        data = rest[n:]
    return out


def check_refused(where, port, name, raw, status=400, needle=None):
    data, closed = exchange(port, raw)
    assert closed, (where, name, "connection left open", data[:300])
    rs = responses(data)
    assert len(rs) == 1, (where, name, "answered more than once: framing lost", data[:600])
    st, hdrs, body = rs[0]
    assert st == status, (where, name, st, body)
    assert hdrs.get("connection", "").lower() == "close", (where, name, hdrs)
    assert hdrs.get("content-type") == "application/json", (where, name, hdrs)
    err = json.loads(body)["error"]
    assert err["code"] == status and err["message"], (where, name, err)
    if needle:
        assert needle.lower() in err["message"].lower(), (where, name, err)


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane(extra=["--header-timeout-ms", str(HEADER_MS)])
        _, key, key_hash = c.setup_demo()
        dp = c.start_dataplane(extra=["--one-request-per-connection",
                                      "--header-timeout-ms", str(HEADER_MS),
                                      "--body-timeout-ms", str(BODY_MS)])
        c.wait_models(dp, key, "mock/echo")
        listeners = [("dataplane", dp.port, key), ("controlplane", c.admin_port, c.admin_key)]

        for where, port, secret in listeners:
            for name, raw in cases(secret):
                check_refused(where, port, name, raw)
            big = (b"GET /health HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 10000 +
                   b"\r\nAuthorization: Bearer " + secret.encode() + b"\r\n\r\n")
            check_refused(where, port, "10 KB of headers", big, 431)
            # a garbage request line is refused at once, not at the header deadline
            t0 = time.monotonic()
            check_refused(where, port, "TLS ClientHello", b"\x16\x03\x01\x02\x00\x01\x00\x01"
                          b"\xfc\x03\x03" + b"\x00" * 40, 400, "request line")
            took = time.monotonic() - t0
            assert took < 1, (where, "garbage request line answered late", took)
            # a request line that never ends gets the header deadline's 408
            t0 = time.monotonic()
            check_refused(where, port, "unfinished request line", b"GET /api/v1/key HTT", 408)
            took = time.monotonic() - t0
            assert HEADER_MS / 1000 - 0.2 < took < HEADER_MS / 1000 + 3, (where, took)
            for name, raw, status, needle in library_cases(secret):
                check_refused(where, port, name, raw, status, needle)
                # pipelined after a good request: libmicrohttpd would read it itself, so the
                # connection closes after the first answer and the second is never read
                first = b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n"
                data, closed = exchange(port, first + raw)
                assert closed, (where, name, "pipelined: connection left open", data[:300])
                rs = responses(data)
                assert [r[0] for r in rs] == [200], (where, name, data[:600])
                assert rs[0][1].get("connection", "").lower() == "close", (where, name, rs[0])

        # a body that stops coming: the connection goes at the body deadline
        t0 = time.monotonic()
        data, closed = exchange(dp.port, b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: a"
                                b"\r\nContent-Length: 100\r\n\r\n{\"model\":", timeout=10)
        took = time.monotonic() - t0
        assert closed and BODY_MS / 1000 - 0.2 < took < BODY_MS / 1000 + 3, (took, data)

        # a well-formed request still works; its answer closes the connection, so the next
        # request's header block passes the gate on a new one
        for port in (dp.port, c.admin_port):
            for _ in range(2):
                data, closed = exchange(port, b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
                rs = responses(data)
                assert closed and [r[0] for r in rs] == [200], (port, data[:300])
                assert rs[0][1].get("connection", "").lower() == "close", rs[0]

        # by default (keep-alive) a second request on the same connection is served
        ka = c.start_dataplane()
        s = socket.create_connection(("127.0.0.1", ka.port), timeout=5)
        for _ in range(2):
            s.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
            data = s.recv(65536)
            assert data.startswith(b"HTTP/1.1 200") and b"close" not in data.lower(), data
        s.close()

        body = json.dumps({"model": "mock/echo", "messages": [
            {"role": "user", "content": "hi"}]}).encode() + b"\x00"
        raw = (b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
               b"Authorization: Bearer " + key.encode() + b"\r\nContent-Type: application/json"
               b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        st, _, b = responses(exchange(dp.port, raw)[0])[0]
        err = json.loads(b)["error"]
        assert st == 400 and "NUL" in err["message"], (st, err)

        time.sleep(0.5)  # the last access lines
        for pr in c.procs:
            log = pr.log()
            for secret in (key, c.admin_key, key_hash):
                assert secret not in log, (pr.name, "holds a secret")
            assert "Bearer" not in log and "Authorization" not in log, pr.name
        lines = [ln for ln in dp.log().splitlines() if " access method=" in ln]
        gated = [ln for ln in dp.log().splitlines() if "refused a connection before" in ln]
        assert len(lines) + len(gated) >= len(cases(key)), (lines, gated)
        for ln in lines:
            path = ln.split(" path=", 1)[1].split(" ", 1)[0]
            assert path == "-" or path.startswith("/"), ln
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main())
