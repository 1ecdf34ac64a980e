"""Every skin's requests count like chat requests: /messages (plain and streamed, x-api-key)
and legacy /completions (plain and streamed) each show up exactly once, with the exact cost,
in GET /generation and in the admin activity; a failure costs nothing and still leaves its
record; an org without credits gets 402 in each skin's own envelope; the ledger settles what
the records say, a key's rate limit counts every skin's requests (429 in Anthropic's envelope
with the rate-limit headers) and the audit finds its invariants.
"""
import sy_money as M
from sy_cluster import Cluster, http, sse


def messages(dp, key, stream=False, model="mock/echo"):
    body = {"model": model, "max_tokens": M.TOKENS, "stream": stream,
            "messages": [{"role": "user", "content": M.TEXT}]}
    hdrs = {"x-api-key": key}
    if stream:
        s, h, evs, b = sse("POST", dp.url + "/api/v1/messages", body, hdrs)
        assert s == 200 and evs and "message_stop" in evs[-1], (s, b, evs)
        return h["X-Generation-Id"]
    s, b, h = http("POST", dp.url + "/api/v1/messages", body, hdrs)
    assert s == 200 and b["type"] == "message", (s, b)
    assert M.cost() == M.Decimal(repr(b["usage"]["cost"])), b
    return h["X-Generation-Id"]


def completions(dp, key, stream=False):
    body = {"model": "mock/echo", "max_tokens": M.TOKENS, "prompt": M.TEXT, "stream": stream}
    hdrs = {"Authorization": "Bearer " + key}
    if stream:
        s, h, evs, b = sse("POST", dp.url + "/api/v1/completions", body, hdrs)
        assert s == 200 and evs[-1] == "data: [DONE]", (s, b, evs)
        return h["X-Generation-Id"]
    s, b, h = http("POST", dp.url + "/api/v1/completions", body, hdrs)
    assert s == 200 and b["object"] == "text_completion", (s, b)
    assert M.cost() == M.Decimal(repr(b["usage"]["cost"])), b
    return h["X-Generation-Id"]


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS)])
        c.start_controlplane(extra=["--lease-ttl-ms", "3000"])
        org, key, _ = c.setup_demo(credits=None)
        c.add_model("mock/down", [("mock", "echo@fault=503")])
        dp = c.start_dataplane()
        c.wait_models(dp, key, "mock/echo", "mock/down")

        # ---- without credits: 402 in each skin's envelope --------------------------------
        s, b, _ = http("POST", dp.url + "/api/v1/messages",
                       {"model": "mock/echo", "max_tokens": 5,
                        "messages": [{"role": "user", "content": "x"}]}, {"x-api-key": key})
        assert s == 402 and b["type"] == "error", (s, b)
        assert b["error"]["type"] == "billing_error", b
        s, b, _ = http("POST", dp.url + "/api/v1/completions",
                       {"model": "mock/echo", "prompt": "x"}, {"Authorization": "Bearer " + key})
        assert s == 402, (s, b)
        M.is_error(b, 402, "insufficient_credits")

        s, b = c.admin("POST", f"/api/v1/orgs/{org}/credits", {"amount": 1})
        assert s == 201, (s, b)
        M.wait_dp_credits(dp, key, 1)
        price = M.cost()
        ids = [messages(dp, key), messages(dp, key, stream=True), completions(dp, key),
               completions(dp, key, stream=True)]
        s, b, h = http("POST", dp.url + "/api/v1/messages",
                       {"model": "mock/down", "max_tokens": 5,
                        "messages": [{"role": "user", "content": "x"}]}, {"x-api-key": key})
        assert s == 502 and b["error"]["type"] == "api_error", (s, b)
        failed = h["X-Generation-Id"]

        # ---- each exactly once, at the exact cost -----------------------------------------
        for gid in ids:
            g = c.generation(dp, key, gid)
            assert g["id"] == gid and g["model"] == "mock/echo", g
            assert M.Decimal(repr(g["total_cost"])) == price, (g, price)
            assert g["tokens_prompt"] == 3 and g["tokens_completion"] == M.TOKENS, g
        g = c.generation(dp, key, failed)
        assert g["total_cost"] == 0, g
        M.wait_settled(c, org, posted=price * 4)
        s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by=model")
        assert s == 200, (s, b)
        rows = {r["model"]: r for r in b["data"]}
        # four served and the two refused with 402 (records of cost 0, as for chat)
        assert rows["mock/echo"]["requests"] == 6, rows
        assert abs(M.Decimal(str(rows["mock/echo"]["usage"])) - price * 4) < M.Decimal("1e-12")
        assert rows["mock/echo"]["completion_tokens"] == 4 * M.TOKENS, rows
        assert rows["mock/down"]["requests"] == 1 and rows["mock/down"]["usage"] == 0, rows

        # ---- a key's rate limit counts every skin's requests ---------------------------------
        s, b = c.admin("POST", "/api/v1/keys", {"name": "k2", "org_id": org, "rpd": 2})
        assert s == 201, (s, b)
        k2 = b["key"]
        M.wait_key(dp, k2)
        messages(dp, k2)
        completions(dp, k2)
        s, b, h = http("POST", dp.url + "/api/v1/messages",
                       {"model": "mock/echo", "max_tokens": 5,
                        "messages": [{"role": "user", "content": "x"}]}, {"x-api-key": k2})
        assert s == 429 and b["error"]["type"] == "rate_limit_error", (s, b)
        assert "per day" in b["error"]["message"], b
        assert h["X-RateLimit-Limit"] == "2" and int(h["Retry-After"]) >= 1, dict(h)
        M.wait_settled(c, org, posted=price * 6)

        # ---- the audit --------------------------------------------------------------------
        dp.stop()
        rc, out = M.audit(c)
        assert rc == 0 and "invariants hold" in out, out
        assert f"posted {(price * 6).normalize()}," in out, out


if __name__ == "__main__":
    main()
