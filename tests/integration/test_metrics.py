"""Observability: GET /metrics on a dataplane with 2 workers and on the controlplane.

- The dataplane serves /metrics only on its --metrics-listen port, which serves nothing else:
  the public port answers 404 for /metrics, /api/v1/metrics and /v1/metrics (per-provider
  cost and request totals are not for anyone who can reach the API).

- Chats (plain, streamed, unknown model, provider failing with 503) spread over both workers;
  every scrape, whichever worker answers it, shows the same totals: requests by model,
  provider and status class equal what was sent, tokens and cost equal the responses' usage,
  upstream errors and retries match the failing attempts, no stream is left active.
- X-Switchyard-Overhead-Us is a number on every kind of response: chat success, stream,
  chat errors, a 401 the HTTP layer answers, read-only endpoints, /metrics itself.
- One access line per chat with gen, org, key (8 hash characters), model, provider, status,
  tokens, cost, latency, overhead, stream; no second line for it from the HTTP layer; no
  key, key hash, prompt or completion in any log.
- The controlplane counts the usage records and shows seq, LMDB map use and ledger totals.
- promtool check metrics accepts both outputs (Debian package prometheus).
"""
import json
import math
import re
import shutil
import subprocess

from sy_cluster import Cluster, http, wait_until

PROMPT = "METRICS-PROMPT-7f3a9 what is the weather"
COMPLETION = " ".join(f"tok{i}" for i in range(16))  # what the mock answers
N_PLAIN, N_STREAM, N_DOWN = 12, 4, 2
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{(name, ((label, value), ...)): float} of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def get(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name, **labels):
    """Sum of name's samples whose labels include labels."""
    return sum(v for (n, ls), v in samples.items()
               if n == name and set(labels.items()) <= set(ls))


def promtool(text):
    assert shutil.which("promtool"), "promtool is not installed (Debian package prometheus)"
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    assert p.returncode == 0, "promtool check metrics:\n" + p.stdout.decode()


def overhead(h, what):
    v = h.get("X-Switchyard-Overhead-Us")
    assert v is not None and v.isdigit(), (what, dict(h))
    return int(v)


def access_lines(log):
    """Access lines of chats: {gen id: {field: value}}."""
    out = {}
    for line in log.splitlines():
        if " access gen=" not in line:
            continue
        fields = dict(kv.split("=", 1) for kv in line.split(" access ", 1)[1].split())
        assert fields["gen"] not in out, ("two access lines for one chat", line)
        out[fields["gen"]] = fields
    return out


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, key, key_hash = c.setup_demo()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/down", [("pa", "echo@fault=503")])
        dp = c.start_dataplane(workers=2)
        c.wait_models(dp, key, "mock/echo", "f/down")
        msgs = [{"role": "user", "content": PROMPT}]
        sent = {}  # gen id -> (status, usage or None, stream)

        # every worker serves some chats (each request is a new connection: SO_REUSEPORT
        # spreads them), at least N_PLAIN in all
        def served_by_both():
            s, b, h = c.chat(dp, key, {"model": "mock/echo", "messages": msgs})
            assert s == 200, (s, b)
            overhead(h, "chat 200")
            sent[h["X-Generation-Id"]] = (200, b["usage"], False)
            tags = set(re.findall(r" (dp/\d): access gen=", dp.log()))
            return len(sent) >= N_PLAIN and tags == {"dp/0", "dp/1"}
        wait_until(served_by_both, 30, 0.01, what="chats served by both workers")

        for _ in range(N_STREAM):
            s, h, events, _ = c.chat_stream(dp, key, {"model": "mock/echo", "messages": msgs})
            assert s == 200 and events, (s, events)
            overhead(h, "stream 200")
            usage = [json.loads(e[6:])["usage"] for e in events
                     if e.startswith("data: {") and '"usage"' in e][-1]
            sent[h["X-Generation-Id"]] = (200, usage, True)

        s, b, h = c.chat(dp, key, {"model": "nope/unknown", "messages": msgs})
        assert s == 400, (s, b)  # model_not_found
        overhead(h, "chat 400")
        sent[h["X-Generation-Id"]] = (400, None, False)
        for _ in range(N_DOWN):
            s, b, h = c.chat(dp, key, {"model": "f/down", "messages": msgs})
            assert s == 502, (s, b)
            overhead(h, "chat 502")
            sent[h["X-Generation-Id"]] = (502, None, False)

        s, b, h = c.chat(dp, "sk-sy-v1-" + "0" * 64, {"model": "mock/echo", "messages": msgs})
        assert s == 401, (s, b)
        overhead(h, "401")
        s, _, h = http("GET", dp.url + "/api/v1/models")
        assert s == 200
        overhead(h, "models")

        for path in ("/metrics", "/api/v1/metrics", "/v1/metrics"):
            s, b, _ = http("GET", dp.url + path)
            assert s == 404, ("public port serves", path, s)
        s, b, _ = http("GET", dp.metrics_url.replace("/metrics", "/api/v1/models"))
        assert s == 404, ("metrics port serves the API", s, b)

        ok = [u for st, u, _ in sent.values() if st == 200]
        chats = len(sent)

        # scrapes: any worker answers for both, with the same totals
        def settled():
            s, text, h = http("GET", dp.metrics_url)
            assert s == 200 and h["Content-Type"].startswith("text/plain; version=0.0.4"), h
            overhead(h, "metrics")
            m = parse(text)
            return (text, m) if total(m, "switchyard_dp_chat_requests_total") == chats else None
        text, m = wait_until(settled, 10, 0.05, what="every chat counted")
        promtool(text)

        echo = {"model": "mock/echo", "provider": "mock"}
        down = {"model": "f/down", "provider": "pa"}
        assert get(m, "switchyard_dp_chat_requests_total", code_class="2xx", **echo) == len(ok), m
        assert get(m, "switchyard_dp_chat_requests_total", model="none", provider="none",
                   code_class="4xx") == 1, m
        assert get(m, "switchyard_dp_chat_requests_total", code_class="5xx", **down) == N_DOWN, m
        assert get(m, "switchyard_dp_prompt_tokens_total", **echo) == \
            sum(u["prompt_tokens"] for u in ok), m
        assert get(m, "switchyard_dp_completion_tokens_total", **echo) == \
            sum(u["completion_tokens"] for u in ok), m
        assert math.isclose(get(m, "switchyard_dp_cost_usd_total", **echo),
                            sum(u["cost"] for u in ok), rel_tol=1e-9), m
        assert get(m, "switchyard_dp_cost_usd_total", **down) == 0, m
        # f/down: the endpoint and one quick retry of it fail with 503 each time
        assert get(m, "switchyard_dp_upstream_errors_total", **down, **{"class": "http_5xx"}) \
            == 2 * N_DOWN, m
        assert total(m, "switchyard_dp_upstream_errors_total", **echo) == 0, m
        assert get(m, "switchyard_dp_retries_total") == N_DOWN, m
        assert get(m, "switchyard_dp_request_duration_seconds_count", **echo) == len(ok), m
        assert get(m, "switchyard_dp_time_to_first_token_seconds_count", **echo) == len(ok), m
        assert get(m, "switchyard_dp_overhead_seconds_count", handler="chat") == chats, m
        assert get(m, "switchyard_dp_overhead_seconds_count", handler="http") >= 2, m
        assert get(m, "switchyard_dp_http_requests_total", code="401") == 1, m
        assert get(m, "switchyard_dp_http_requests_total", code="502") == N_DOWN, m
        assert get(m, "switchyard_dp_http_requests_total", code="200") >= len(ok) + 1, m
        for w in ("0", "1"):
            assert get(m, "switchyard_dp_worker_up", worker=w) == 1, m
            assert get(m, "switchyard_dp_active_streams", worker=w) == 0, m

        # both workers answer scrapes, and they agree (scrapes only add to the HTTP layer's
        # own counters)
        def chat_counter(k):
            return k[0].endswith(("_total", "_count")) and \
                k[0] != "switchyard_dp_http_requests_total" and ("handler", "http") not in k[1]
        counters = {k: v for k, v in m.items() if chat_counter(k)}
        for _ in range(200):
            again = parse(http("GET", dp.metrics_url)[1])
            assert {k: v for k, v in again.items() if chat_counter(k)} == counters, again
            if set(re.findall(r" (dp/\d): access method=GET path=/metrics ", dp.log())) == \
                    {"dp/0", "dp/1"}:
                break
        else:
            raise AssertionError("200 scrapes and one worker never answered")

        # sync: both workers at the seq the controlplane's heartbeats name, no usage pending
        s, health = c.admin("GET", "/health")
        seq = health["seq"]

        last = [""]

        def in_sync():
            last[0] = http("GET", dp.metrics_url)[1]
            mm = parse(last[0])
            return all(get(mm, "switchyard_dp_sync_view_seq", worker=w) >= seq and
                       get(mm, "switchyard_dp_sync_controlplane_seq", worker=w) ==
                       get(mm, "switchyard_dp_sync_view_seq", worker=w) and
                       get(mm, "switchyard_dp_sync_lag_seq", worker=w) == 0 and
                       get(mm, "switchyard_dp_usage_pending_records", worker=w) == 0 and
                       get(mm, "switchyard_dp_sync_last_message_age_seconds", worker=w) < 3.5
                       for w in ("0", "1"))
        try:
            wait_until(in_sync, 10, 0.1, what="workers in sync with no usage pending")
        except AssertionError:
            raise AssertionError("workers not in sync with the controlplane at seq %d:\n%s" % (
                seq, "\n".join(l for l in last[0].splitlines() if "_sync_" in l or "pending" in l)))

        # the controlplane: usage records of every chat, store and ledger gauges, no key needed
        def cp_counted():
            s, text, h = http("GET", f"http://127.0.0.1:{c.admin_port}/metrics")
            assert s == 200 and h["Content-Type"].startswith("text/plain"), (s, h)
            mm = parse(text)
            done = get(mm, "switchyard_cp_usage_records_stored_total") == chats
            return (text, mm) if done else None
        cp_text, cm = wait_until(cp_counted, 10, 0.1, what="usage records on the controlplane")
        promtool(cp_text)
        assert get(cm, "switchyard_cp_seq") >= seq, cm
        assert get(cm, "switchyard_cp_usage_records_duplicate_total") == 0, cm
        assert get(cm, "switchyard_cp_snapshots_served_total") >= 2, cm
        assert 0 < get(cm, "switchyard_cp_lmdb_used_bytes") <= \
            get(cm, "switchyard_cp_lmdb_map_size_bytes"), cm
        assert get(cm, "switchyard_cp_admin_responses_total", code="2xx") >= 5, cm

        # one access line per chat, with the response's numbers
        log = dp.log()
        lines = access_lines(log)
        assert set(lines) == set(sent), (sorted(lines), sorted(sent))
        for gid, (status, usage, stream) in sent.items():
            f = lines[gid]
            for field in ("gen", "org", "key", "model", "provider", "status", "tokens_in",
                          "tokens_out", "cost", "latency_ms", "overhead_us", "stream"):
                assert field in f, (field, f)
            assert f["org"] == org and f["key"] == key_hash[:8], f
            assert int(f["status"]) == status and f["stream"] == ("1" if stream else "0"), f
            assert f["latency_ms"].isdigit() and f["overhead_us"].isdigit(), f
            if usage:
                assert f["model"] == "mock/echo" and f["provider"] == "mock", f
                assert int(f["tokens_in"]) == usage["prompt_tokens"], f
                assert int(f["tokens_out"]) == usage["completion_tokens"], f
                assert math.isclose(float(f["cost"]), usage["cost"], rel_tol=1e-9), f
        # the HTTP layer logs only the request dp_chat never saw (the 401)
        assert len(re.findall(r"access method=POST path=/api/v1/chat/completions ", log)) == 1

        # nothing secret in the logs
        for pr in (dp, c.cp):
            text = pr.log()
            for secret in (key, key_hash, PROMPT, COMPLETION, "mock-provider-secret"):
                assert secret not in text, (pr.name, secret[:12])
    print("ok")


if __name__ == "__main__":
    main()
