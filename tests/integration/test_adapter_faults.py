"""Faults and fail-over across wire formats. One request fails over from an Anthropic
endpoint (529 overloaded) to a Gemini one (503 UNAVAILABLE) to an OpenAI-compatible one,
streamed and not, billed at the server's prices. Then every scripted fault of the mock
against an Anthropic and a Gemini endpoint, streamed and not: the client's status and (in a
stream that already answered) the in-band error chunk are what they are for OpenAI-compatible
providers, and each request leaves exactly one usage record, costing nothing unless it was
served.
"""
from sy_adapters import add_model, add_provider, cost, one_record, same_money, text_of
from sy_cluster import Cluster, sse_data

ASK = [{"role": "user", "content": "Where does this end up?"}]
TOKENS = " ".join(f"tok{i}" for i in range(16))
HALF = " ".join(f"tok{i}" for i in range(8))

# fault -> (non-streamed status, streamed outcome: "ok", "chunk" = in-band error after
# content, or a status before any content)
FAULTS = {
    "500": (502, 502),
    "429": (429, 429),
    "reset": (502, 502),
    "no-response": (504, 504),
    "slow-first-token": (200, "ok"),
    "stream-cut": (502, "chunk"),
    "stream-stall": (504, "chunk"),
    "malformed-chunk": (502, "ok"),  # one unparsable event is skipped
    "garbage": (502, "chunk"),  # a run of them ends the stream
    "missing-done": (200, "ok"),
}


def outcome(c, dp, key, model, stream):
    """(status or "ok"/"chunk", generation id, the body or the stream's data)."""
    if not stream:
        s, b, h = c.chat(dp, key, {"model": model, "messages": ASK})
        return s, h["X-Generation-Id"], b
    s, h, events, body = c.chat_stream(dp, key, {"model": model, "messages": ASK})
    if events is None:
        return s, h["X-Generation-Id"], body
    data = sse_data(events)
    if data and data[-1] == "[DONE]":
        assert text_of(data) == TOKENS, data
        return "ok", h["X-Generation-Id"], data
    last = data[-1]
    assert last["choices"][0]["finish_reason"] == "error" and last["error"]["message"], last
    if text_of(data):
        assert text_of(data).startswith("tok0"), data
        return "chunk", h["X-Generation-Id"], data
    return last["error"]["code"], h["X-Generation-Id"], data


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        slow = {"first_byte_timeout_ms": 600, "idle_timeout_ms": 600}
        add_provider(c, "anth", "anthropic", "Anthropic", **slow)
        add_provider(c, "gem", "gemini", "Google", **slow)
        add_provider(c, "oai", "openai", "OpenAI")
        add_model(c, "mix/chain", [("anth", "echo@fault=529"), ("gem", "echo@fault=503"),
                                   ("oai", "echo")])
        names = ["mix/chain"]
        for f in FAULTS:
            for p in ("anth", "gem"):
                add_model(c, f"f/{p}-{f}", [(p, f"echo@fault={f},ttft=200")])
                names.append(f"f/{p}-{f}")
        c.wait_models(dp, key, *names)

        order = {"order": ["anth", "gem", "oai"]}
        s, b, h = c.chat(dp, key, {"model": "mix/chain", "messages": ASK, "provider": order})
        assert s == 200 and b["provider"] == "OpenAI", (s, b)
        assert b["choices"][0]["message"]["content"] == TOKENS, b
        g = one_record(c, dp, key, h["X-Generation-Id"])
        assert [(a["provider"], a["status"]) for a in g["provider_responses"]] == [
            ("anth", 529), ("gem", 503), ("oai", 200)], g
        assert same_money(b["usage"]["cost"], cost(b["usage"])), b
        assert same_money(g["total_cost"], cost(b["usage"])), g

        s, h, events, _ = c.chat_stream(dp, key, {"model": "mix/chain", "messages": ASK,
                                                  "provider": order})
        data = sse_data(events)
        assert s == 200 and data[-1] == "[DONE]" and text_of(data) == TOKENS, data
        assert all(d["provider"] == "OpenAI" for d in data[:-1]), data
        g = one_record(c, dp, key, h["X-Generation-Id"])
        assert [a["provider"] for a in g["provider_responses"]] == ["anth", "gem", "oai"], g

        for f, (plain, streamed) in FAULTS.items():
            for p in ("anth", "gem"):
                for stream, want in ((False, plain), (True, streamed)):
                    got, gid, body = outcome(c, dp, key, f"f/{p}-{f}", stream)
                    assert got == want, (p, f, stream, got, body)
                    g = one_record(c, dp, key, gid)
                    if got in (200, "ok"):
                        u = body["usage"] if not stream else body[-2]["usage"]
                        assert same_money(g["total_cost"], cost(u)), (p, f, g, u)
                    else:
                        assert g["total_cost"] == 0, (p, f, stream, g)
    print("ok")


if __name__ == "__main__":
    main()
