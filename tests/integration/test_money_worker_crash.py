"""A worker killed with kill -9 in the middle of a stream: its request still becomes exactly one
generation. The worker wrote the request's intent to its spool before calling upstream; the
supervisor restarts it with the same worker id, it replays the spool, and the intent without
a final record becomes the crash record (finish_reason error, error_class worker_crash,
cancelled), sent like any other. The intent was kept current with what the stream had sent
(every 200 ms), so the crash record charges the tokens the client got, at the endpoint's
price, give or take the last 200 ms. Afterwards: the generation is found once with the
key that made it, the org's posted debits are exactly what the served requests and the crashed stream cost, the
killed worker's lease is released at its TTL (nothing stays pending), a second kill -9 of the
restarted worker creates no second record, and the audit holds.
"""
import json
import os
import time
from decimal import Decimal
from http.client import HTTPConnection, HTTPException

import sy_money as M
from sy_cluster import Cluster, http, wait_until

TTL_MS = 2000
SERVED = 3  # ordinary requests before and after the crash


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def the_worker(dp):
    kids = children(dp.p.pid)
    assert len(kids) == 1, kids
    return kids[0]


def open_stream(dp, key, body):
    """POST a stream and read its first content chunk: (connection, response, generation id,
    the bytes read)."""
    conn = HTTPConnection("127.0.0.1", dp.port, timeout=20)
    conn.request("POST", "/api/v1/chat/completions", json.dumps(dict(body, stream=True)),
                 {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    r = conn.getresponse()
    assert r.status == 200, (r.status, r.read())
    gen_id = r.getheader("X-Generation-Id")
    assert gen_id and gen_id.startswith("gen-"), gen_id
    buf = b""
    deadline = time.time() + 20
    while b'"content":"' not in buf:  # bounded by the deadline and the socket timeout
        assert time.time() < deadline, buf
        chunk = r.read1(65536)
        assert chunk, f"stream ended before any content: {buf!r}"
        buf += chunk
    return conn, r, gen_id, buf


def sent_chars(raw):
    """Characters of content in the stream's data events (what the gateway counts tokens of
    when the provider has not said yet: ceil(chars / 4))."""
    n = 0
    for line in raw.decode(errors="replace").split("\n"):
        if line.startswith("data: {"):
            try:
                d = json.loads(line[6:])
            except ValueError:
                continue  # the last event, cut by the kill
            for ch in d.get("choices") or []:
                n += len((ch.get("delta") or {}).get("content") or "")
    return n


def read_rest(r):
    """What the stream still delivers until the connection ends (cut by the kill)."""
    out = b""
    try:
        while True:
            chunk = r.read1(65536)
            if not chunk:
                break
            out += chunk
    except (OSError, HTTPException):
        pass
    return out


def requests_by_key(c, org):
    s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by=key")
    assert s == 200, (s, b)
    return {r["key_hash"]: (r["requests"], Decimal(str(r["usage"]))) for r in b["data"]}


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS), "--latency-ms", "5"])
        c.start_controlplane(extra=["--lease-ttl-ms", str(TTL_MS)])
        org, key, key_hash = c.setup_demo(credits=10)
        c.add_model("mock/slow", [("mock", "echo@ttft=100,tps=10,tokens=100")])
        dp = c.start_dataplane(workers=1)
        c.wait_models(dp, key, "mock/echo", "mock/slow")
        spool = os.path.join(c.dir, f"dp-spool-{dp.port}", "usage-0.spool")

        def serve():
            s, b, _ = c.chat(dp, key, M.body())
            assert s == 200, (s, b)
            return Decimal(str(b["usage"]["cost"]))
        spent = sum(serve() for _ in range(SERVED))

        # ---- kill -9 the worker mid-stream ------------------------------------------------
        victim = the_worker(dp)
        conn, r, gen_id, first = open_stream(dp, key, {"model": "mock/slow", "max_tokens": 100,
                                                       "messages": [{"role": "user",
                                                                     "content": M.TEXT}]})
        assert os.path.getsize(spool) > 0, "the intent is not in the spool"
        time.sleep(0.7)  # a few more tokens (10 a second) reach the client
        os.kill(victim, 9)
        killed_at = time.time()
        rest = read_rest(r)
        conn.close()
        delivered = (sent_chars(first + rest) + 3) // 4
        assert b"[DONE]" not in rest, rest  # the stream was cut, not finished
        print(f"stream {gen_id} cut by the kill after the first content chunk")

        # ---- the supervisor restarts the worker, which replays the intent ----------------
        worker = wait_until(lambda: [p for p in children(dp.p.pid) if p != victim], 10, 0.05,
                            what="the worker restarted")[0]
        wait_until(lambda: http("GET", dp.url + "/ready")[0] == 200, 15, what="ready again")
        g = c.generation(dp, key, gen_id)
        print(f"crash record: finish_reason={g['finish_reason']} cancelled={g['cancelled']} "
              f"total_cost={g['total_cost']} provider_responses={g['provider_responses']}")
        assert g["id"] == gen_id and g["model"] == "mock/slow", g
        assert g["finish_reason"] == "error" and g["cancelled"] is True, g
        # what the client got is charged, at the endpoint's price: up to the last progress
        # (every 200 ms: one or two 6-character tokens at 10 a second)
        print(f"delivered about {delivered} tokens, the crash record charges "
              f"{g['tokens_completion']}")
        assert g["streamed"] is True, g
        assert delivered - 3 <= g["tokens_completion"] <= delivered, (g, delivered)
        assert g["tokens_completion"] >= 2, g
        crash_cost = g["tokens_prompt"] * M.PROMPT_PRICE + \
            g["tokens_completion"] * M.COMPLETION_PRICE
        assert abs(Decimal(str(g["total_cost"])) - crash_cost) < Decimal("1e-12"), g
        spent += crash_cost
        assert [a["error_class"] for a in g["provider_responses"]] == ["worker_crash"], g
        assert g["provider_responses"][0]["provider"] == "mock", g
        # another key does not see it
        s, b2 = c.admin("POST", "/api/v1/keys", {"name": "other", "org_id": org})
        assert s == 201, (s, b2)
        M.wait_key(dp, b2["key"])
        s, b, _ = http("GET", f"{dp.url}/api/v1/generation?id={gen_id}",
                       headers={"Authorization": "Bearer " + b2["key"]})
        assert s == 404, (s, b)

        # the restarted worker serves; then it is killed again once everything is acked: the
        # resolved intent must not come back as a second crash record
        spent += sum(serve() for _ in range(SERVED))
        wait_until(lambda: os.path.getsize(spool) == 0, 10, 0.05,
                   what="every record acknowledged (spool emptied)")
        os.kill(worker, 9)
        wait_until(lambda: [p for p in children(dp.p.pid) if p not in (victim, worker)], 10,
                   0.05, what="the worker restarted again")
        wait_until(lambda: http("GET", dp.url + "/ready")[0] == 200, 15, what="ready again")
        spent += serve()

        # ---- nothing missing, nothing twice, the ledger exact ------------------------------
        m = M.wait_settled(c, org, posted=spent, timeout=TTL_MS / 1000 + 20)
        released_after = time.time() - killed_at
        print(f"settled {released_after:.1f}s after the kill: posted {m['debits_posted']}, "
              f"pending {m['debits_pending']}")
        # the crash record settles against the killed worker's lease while it lives (TTL 2 s),
        # else its charge is measured as overspend
        assert m["overspend"] <= crash_cost and m["debits_pending"] == 0, m
        assert abs(Decimal(str(m["balance"])) - (Decimal(10) - spent)) < Decimal("1e-9"), m

        def all_recorded():
            rows = requests_by_key(c, org)
            return rows if rows.get(key_hash, (0,))[0] >= 2 * SERVED + 2 else None
        rows = wait_until(all_recorded, 10, 0.1, what="every generation recorded")
        time.sleep(1.0)  # a duplicate would have arrived by now
        rows = requests_by_key(c, org)
        print(f"activity by key: {rows}")
        n, usage = rows[key_hash]
        assert n == 2 * SERVED + 2, rows  # the served ones and the crashed stream, once
        assert abs(usage - spent) < Decimal("1e-12"), (usage, spent)
        assert c.generation(dp, key, gen_id)["finish_reason"] == "error"

        dp.stop()
        assert c.cp.stop() == 0
        rc, text = M.audit(c)
        print(text.strip().splitlines()[-1])
        assert rc == 0 and "invariants hold" in text, text


if __name__ == "__main__":
    main()
