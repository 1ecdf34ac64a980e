"""/responses requests count like chat requests: plain and streamed ones each show up exactly
once, with the exact cost, in GET /generation (the response id is the generation id) and in
the admin activity; a failure costs nothing and still leaves its record; an org without
credits gets 402 in OpenAI's envelope; the ledger settles what the records say and the audit
finds its invariants (the shape of test_skin_money, for this skin).
"""
import sy_money as M
from sy_cluster import Cluster, http, sse

URL = "/api/v1/responses"


def responses(dp, key, stream=False):
    """One /responses request on mock/echo answered with M.TOKENS tokens; its generation id."""
    body = {"model": "mock/echo", "input": M.TEXT, "max_output_tokens": M.TOKENS,
            "stream": stream}
    hdrs = {"Authorization": "Bearer " + key}
    if stream:
        s, h, evs, b = sse("POST", dp.url + URL, body, hdrs)
        assert s == 200 and evs and "event: response.completed" in evs[-1], (s, b, evs)
        return h["X-Generation-Id"]
    s, b, h = http("POST", dp.url + URL, body, hdrs)
    assert s == 200 and b["status"] == "completed" and b["id"] == h["X-Generation-Id"], (s, b)
    assert M.cost() == M.Decimal(repr(b["usage"]["cost"])), b
    return b["id"]


def main():
    with Cluster() as c:
        c.start_mock(["--tokens", str(M.TOKENS)])
        c.start_controlplane(extra=["--lease-ttl-ms", "3000"])
        org, key, _ = c.setup_demo(credits=None)
        c.add_model("mock/down", [("mock", "echo@fault=503")])
        dp = c.start_dataplane()
        c.wait_models(dp, key, "mock/echo", "mock/down")
        auth = {"Authorization": "Bearer " + key}

        # ---- without credits: 402 in OpenAI's envelope ------------------------------------
        s, b, _ = http("POST", dp.url + URL, {"model": "mock/echo", "input": "x"}, auth)
        assert s == 402 and set(b) == {"error"}, (s, b)
        assert b["error"]["type"] == "insufficient_quota", b
        assert b["error"]["code"] == "insufficient_credits", b

        s, b = c.admin("POST", f"/api/v1/orgs/{org}/credits", {"amount": 1})
        assert s == 201, (s, b)
        M.wait_dp_credits(dp, key, 1)
        price = M.cost()
        ids = [responses(dp, key), responses(dp, key, stream=True), responses(dp, key)]
        s, b, h = http("POST", dp.url + URL, {"model": "mock/down", "input": "x"}, auth)
        assert s == 502 and b["error"]["type"] == "server_error", (s, b)
        failed = h["X-Generation-Id"]

        # ---- each exactly once, at the exact cost -----------------------------------------
        for gid in ids:
            g = c.generation(dp, key, gid)
            assert g["id"] == gid and g["model"] == "mock/echo", g
            assert M.Decimal(repr(g["total_cost"])) == price, (g, price)
            assert g["tokens_prompt"] == 3 and g["tokens_completion"] == M.TOKENS, g
        g = c.generation(dp, key, failed)
        assert g["total_cost"] == 0, g
        M.wait_settled(c, org, posted=price * 3)
        s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by=model")
        assert s == 200, (s, b)
        rows = {r["model"]: r for r in b["data"]}
        # three served and the one refused with 402 (a record of cost 0, as for chat)
        assert rows["mock/echo"]["requests"] == 4, rows
        assert abs(M.Decimal(str(rows["mock/echo"]["usage"])) - price * 3) < M.Decimal("1e-12")
        assert rows["mock/echo"]["completion_tokens"] == 3 * M.TOKENS, rows
        assert rows["mock/down"]["requests"] == 1 and rows["mock/down"]["usage"] == 0, rows

        # ---- the audit --------------------------------------------------------------------
        dp.stop()
        rc, out = M.audit(c)
        assert rc == 0 and "invariants hold" in out, out
        assert f"posted {(price * 3).normalize()}," in out, out


if __name__ == "__main__":
    main()
