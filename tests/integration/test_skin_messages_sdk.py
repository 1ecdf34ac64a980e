"""The official `@anthropic-ai/sdk` against /messages through each adapter of the mock
(OpenAI and Gemini by translation, Anthropic by pass-through): messages.create,
messages.stream (its text and event accumulators and finalMessage), a raw stream, a tool
call plain and streamed (inputJson) with its tool_result round trip, countTokens, and the
SDK's own error classes for a provider down (502 api_error), a bad request (400
invalid_request_error) and a stream cut after the first byte (an error event). Node and npm
are required: without them this test fails.
"""
from sy_adapters import add_model, add_provider, one_record
from sy_cluster import Cluster, run_sdk_script, sdk_step

TOKENS = " ".join(f"tok{i}" for i in range(16))
EVENTS = ["message_start", "content_block_start", "content_block_delta",
          "content_block_stop", "message_delta", "message_stop"]


def check(c, dp, key, res, slug):
    m = sdk_step(res, "create")
    assert m["type"] == "message" and m["role"] == "assistant", m
    assert m["content"] == [{"type": "text", "text": TOKENS}], m
    assert m["stop_reason"] == "end_turn" and m["usage"]["output_tokens"] == 16, m
    g = one_record(c, dp, key, m["header_id"])
    assert g["model"] == f"x/{slug}" and g["tokens_completion"] == 16, g
    if slug != "anth":
        assert m["id"] == m["header_id"] and m["usage"]["cost"] > 0, m
        assert abs(m["usage"]["cost"] - g["total_cost"]) < 1e-12, (m, g)
    st = sdk_step(res, "stream")
    assert st["text"] == TOKENS, st
    kinds = [k for k in st["kinds"] if k != "ping"]
    assert sorted(set(kinds)) == sorted(EVENTS) and kinds[0] == "message_start", kinds
    assert st["final"]["content"][0]["text"] == TOKENS, st
    assert st["final"]["usage"]["output_tokens"] == 16, st
    raw = [k for k in sdk_step(res, "raw_stream") if k != "ping"]
    assert raw[0] == "message_start" and raw[-1] == "message_stop", raw
    tl = sdk_step(res, "tools")
    assert tl["stop"] == "tool_use" and tl["call"]["name"] == "get_weather", tl
    assert tl["call"]["input"] == {"location": "Paris"}, tl
    assert tl["streamed"]["input"] == {"location": "Paris"}, tl
    assert tl["streamed_json"].replace(" ", "") == '{"location":"Paris"}', tl
    assert tl["next"]["stop_reason"] == "end_turn", tl
    assert tl["next"]["content"][0]["text"] == TOKENS, tl
    ct = sdk_step(res, "count_tokens")
    assert ct["input_tokens"] == 7, ct  # 28 characters / 4
    r = res["provider_down"]
    assert not r["ok"] and r["status"] == 502 and r["type"] == "api_error", r
    r = res["bad_request"]
    assert not r["ok"] and r["status"] == 400 and r["type"] == "invalid_request_error", r
    assert "max_tokens" in r["error"], r
    r = res["stream_cut"]
    assert not r["ok"] and "api_error" in r["error"], r


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        for slug, adapter, down in (("oai", "openai", "503"), ("gem", "gemini", "503"),
                                    ("anth", "anthropic", "529")):
            add_provider(c, slug, adapter, slug.upper())
            add_model(c, f"x/{slug}", [(slug, "echo")])
            add_model(c, f"x/{slug}-cut", [(slug, "echo@fault=stream-cut")])
            add_model(c, f"x/{slug}-down", [(slug, f"echo@fault={down}")])
        models = [f"x/{s}{t}" for s in ("oai", "gem", "anth") for t in ("", "-cut", "-down")]
        c.wait_models(dp, key, *models)
        for slug in ("oai", "gem", "anth"):
            env = {"SY_BASE_URL": dp.url + "/api", "SY_KEY": key, "SY_MODEL": f"x/{slug}",
                   "SY_CUT_MODEL": f"x/{slug}-cut", "SY_DOWN_MODEL": f"x/{slug}-down"}
            res = run_sdk_script("anthropic_check.mjs", env)
            assert res is not None, "node and npm are required"
            check(c, dp, key, res, slug)


if __name__ == "__main__":
    main()
