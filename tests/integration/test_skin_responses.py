"""POST /responses (OpenAI's Responses API, stateless) through each adapter of the mock: the
chat request the provider gets (instructions, input items, function tools, reasoning,
text.format), the Response object (message, function_call and reasoning items, usage with its
details and the cost, the request's settings repeated; the id is the generation id), the typed
event stream with contiguous sequence numbers, a function_call_output round trip, a failure
after the first byte as an error event and response.failed, refusals naming the field in
OpenAI's error envelope with chat's statuses (previous_response_id and store: true say the
gateway is stateless), and the official `openai` SDK's client.responses.create and
responses.stream (plain, streamed, a function tool and its output) with no SDK error. Node and
npm are required: without them this test fails.
"""
from decimal import Decimal

from sy_adapters import add_model, add_provider, mock_last, one_record, same_money
from sy_cluster import Cluster, http, run_sdk_script, sdk_step, sse, sse_data

TOKENS = " ".join(f"tok{i}" for i in range(16))
WEATHER = {"type": "function", "name": "get_weather", "description": "The weather",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"]}}


def events(evs):
    """The stream's events as (name, data) pairs."""
    out = []
    for e in evs:
        lines = dict(ln.split(": ", 1) for ln in e.split("\n") if ": " in ln)
        if "event" in lines:
            out.append((lines["event"], sse_data(["data: " + lines["data"]])[0]))
    return out


def check_stream(evs):
    """Named events whose names are their types, numbered 0, 1, 2...; returns (types, last
    response object, output text joined from the deltas)."""
    ev = events(evs)
    assert ev, evs
    for i, (name, d) in enumerate(ev):
        assert d["type"] == name and d["sequence_number"] == i, (i, name, d)
    text = "".join(d["delta"] for n, d in ev if n == "response.output_text.delta")
    return [n for n, _ in ev], ev[-1][1].get("response"), text


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        for slug, adapter in (("oai", "openai"), ("gem", "gemini"), ("anth", "anthropic")):
            add_provider(c, slug, adapter, slug.upper())
            add_model(c, f"x/{slug}", [(slug, "echo")])
            add_model(c, f"x/{slug}-cut", [(slug, "echo@fault=stream-cut")])
        add_model(c, "x/down", [("oai", "echo@fault=503")])
        c.wait_models(dp, key, "x/oai", "x/gem", "x/anth", "x/down")
        url = dp.url + "/api/v1/responses"
        auth = {"Authorization": "Bearer " + key}

        # -- the chat request the provider got, and the Response object
        s, b, h = http("POST", url, {
            "model": "x/oai", "instructions": "Be brief.", "max_output_tokens": 5,
            "temperature": 0.3, "top_p": 0.9, "user": "u1", "metadata": {"run": "1"},
            "store": False, "text": {"format": {"type": "json_schema", "name": "o",
                                                "schema": {"type": "object"}}},
            "input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}]},
            auth)
        assert s == 200 and b["object"] == "response", (s, b)
        assert b["id"] == h["X-Generation-Id"] and b["model"] == "x/oai", b
        assert b["status"] == "incomplete", b
        assert b["incomplete_details"] == {"reason": "max_output_tokens"}, b
        assert [o["type"] for o in b["output"]] == ["message"], b
        assert b["output"][0]["content"] == [{"type": "output_text", "annotations": [],
                                              "text": "tok0 tok1 tok2 tok3 tok4"}], b
        assert b["instructions"] == "Be brief." and b["metadata"] == {"run": "1"}, b
        assert b["temperature"] == 0.3 and b["max_output_tokens"] == 5, b
        assert b["store"] is False and b["previous_response_id"] is None, b
        u = b["usage"]
        assert u["output_tokens"] == 5 and u["total_tokens"] == u["input_tokens"] + 5, u
        assert u["input_tokens_details"]["cached_tokens"] == 0, u
        assert u["output_tokens_details"] == {"reasoning_tokens": 0}, u
        sent = mock_last(c)["body"]
        assert sent["messages"] == [{"role": "system", "content": "Be brief."},
                                    {"role": "user", "content": [{"type": "text",
                                                                  "text": "Hi"}]}], sent
        assert sent["max_tokens"] == 5 and sent["temperature"] == 0.3, sent
        assert sent["response_format"] == {"type": "json_schema", "json_schema": {
            "name": "o", "schema": {"type": "object"}}}, sent
        for k in ("input", "instructions", "metadata", "store", "max_output_tokens", "user"):
            assert k not in sent, (k, sent)
        g = one_record(c, dp, key, b["id"])
        assert same_money(u["cost"], Decimal(repr(g["total_cost"]))), g

        for slug in ("oai", "gem", "anth"):
            model = f"x/{slug}"
            # -- plain and streamed through each adapter
            s, b, h = http("POST", url, {"model": model, "input": "Say hi"}, auth)
            assert s == 200 and b["status"] == "completed", (model, s, b)
            assert b["output"][0]["content"][0]["text"] == TOKENS, b
            assert b["usage"]["output_tokens"] == 16 and b["usage"]["cost"] > 0, b
            st, hd, evs, _ = sse("POST", url, {"model": model, "input": "Say hi",
                                               "stream": True}, auth)
            assert st == 200, (st, evs)
            types, resp, text = check_stream(evs)
            assert types[:4] == ["response.created", "response.in_progress",
                                 "response.output_item.added",
                                 "response.content_part.added"], types
            assert types[-4:] == ["response.output_text.done", "response.content_part.done",
                                  "response.output_item.done", "response.completed"], types
            assert text == TOKENS and resp["status"] == "completed", (text, resp)
            assert resp["id"] == hd["X-Generation-Id"], resp
            assert resp["output"][0]["content"][0]["text"] == TOKENS, resp
            g = one_record(c, dp, key, resp["id"])
            assert g["tokens_completion"] == 16, g

            # -- a function tool, then the round trip with its output
            s, b, _ = http("POST", url, {"model": model, "input": "Weather in Paris?",
                                         "tools": [WEATHER], "tool_choice": "required"}, auth)
            assert s == 200 and [o["type"] for o in b["output"]] == ["function_call"], b
            call = b["output"][0]
            assert call["name"] == "get_weather" and call["call_id"], call
            assert call["arguments"] == '{"city":"Paris"}' and call["status"] == "completed"
            s, b2, _ = http("POST", url, {"model": model, "tools": [WEATHER], "input": [
                {"role": "user", "content": "Weather in Paris?"}, call,
                {"type": "function_call_output", "call_id": call["call_id"],
                 "output": "sunny"}]}, auth)
            assert s == 200 and b2["output"][0]["content"][0]["text"] == TOKENS, b2
            st, _, evs, _ = sse("POST", url, {"model": model, "input": "Weather?",
                                              "tools": [WEATHER], "stream": True}, auth)
            types, resp, _ = check_stream(evs)
            assert "response.function_call_arguments.delta" in types, types
            assert types[-3:] == ["response.function_call_arguments.done",
                                  "response.output_item.done", "response.completed"], types
            assert resp["output"][0]["arguments"] == '{"city":"Paris"}', resp

            # -- a failure after the first byte: the error event, then response.failed
            st, hd, evs, _ = sse("POST", url, {"model": f"x/{slug}-cut", "input": "Say hi",
                                               "stream": True}, auth)
            types, resp, text = check_stream(evs)
            assert st == 200 and types[-2:] == ["error", "response.failed"], types
            assert resp["status"] == "failed" and resp["error"]["code"] == "server_error"
            assert text and TOKENS.startswith(text), text
            g = one_record(c, dp, key, hd["X-Generation-Id"])
            assert g["finish_reason"] == "error", g

        # -- reasoning (the mock thinks on Anthropic and Gemini): a summary, or the text
        for slug in ("gem", "anth"):
            s, b, _ = http("POST", url, {"model": f"x/{slug}", "input": "Think",
                                         "reasoning": {"effort": "low", "summary": "auto"}},
                           auth)
            assert s == 200 and [o["type"] for o in b["output"]] == ["reasoning", "message"]
            assert b["output"][0]["summary"] == [{"type": "summary_text", "text":
                                                  "thought0 thought1 thought2 thought3"}], b
            st, _, evs, _ = sse("POST", url, {"model": f"x/{slug}", "input": "Think",
                                              "stream": True, "reasoning": {"effort": "low"}},
                                auth)
            types, resp, _ = check_stream(evs)
            assert "response.reasoning_text.delta" in types, types
            assert resp["output"][0]["content"][0]["text"].startswith("thought0"), resp
        sent = mock_last(c)["body"]  # Anthropic's: thinking asked for
        assert sent["thinking"]["type"] == "enabled", sent

        # -- Anthropic's signed thinking goes back: the reasoning item's encrypted_content is
        # the signature of the thinking block the provider gets again
        s, b, _ = http("POST", url, {"model": "x/anth", "input": "Weather?", "tools": [WEATHER],
                                     "tool_choice": "required", "include": [
                                         "reasoning.encrypted_content"],
                                     "reasoning": {"effort": "low"}}, auth)
        assert s == 200 and [o["type"] for o in b["output"]] == ["reasoning", "function_call"]
        rs, call = b["output"]
        assert rs["encrypted_content"] and rs["content"][0]["text"].startswith("thought0"), rs
        s, _, _ = http("POST", url, {"model": "x/anth", "tools": [WEATHER], "input": [
            {"role": "user", "content": "Weather?"}, rs, call,
            {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}]},
            auth)
        assert s == 200, s
        turn = mock_last(c)["body"]["messages"][1]
        assert turn["role"] == "assistant", turn
        assert turn["content"][0] == {"type": "thinking", "thinking": rs["content"][0]["text"],
                                      "signature": rs["encrypted_content"]}, turn
        assert turn["content"][1]["type"] == "tool_use", turn

        # -- refusals in OpenAI's envelope with chat's statuses
        for bad, field in (({"previous_response_id": "resp_1"}, "stateless"),
                           ({"store": True}, "stateless"), ({"include": ["message.output_text.logprobs"]}, "include[0]"),
                           ({"background": True}, "background"),
                           ({"tools": [{"type": "web_search"}]}, "web_search"),
                           ({"input": [{"type": "item_reference", "id": "x"}]},
                            "item_reference"),
                           ({"input": []}, "input"), ({"max_output_tokens": 0},
                                                      "max_output_tokens"),
                           ({"temperature": 5}, "temperature"),
                           ({"metadata": {"a": 1}}, "metadata.a")):
            s, b, _ = http("POST", url, dict({"model": "x/oai", "input": "x"}, **bad), auth)
            assert s == 400 and field in b["error"]["message"], (bad, s, b)
            assert b["error"]["type"] == "invalid_request_error", b
            assert set(b["error"]) == {"message", "type", "param", "code"}, b
        s, b, _ = http("POST", url, "{", auth)
        assert s == 400 and "JSON" in b["error"]["message"], (s, b)
        s, b, _ = http("POST", url, {"model": "x/none", "input": "x"}, auth)
        assert s == 400 and b["error"]["code"] == "model_not_found", (s, b)
        s, b, _ = http("POST", dp.url + "/v1/responses", {"model": "x/oai", "input": "x"},
                       {"Authorization": "Bearer nope"})
        assert s == 401 and b["error"]["type"] == "authentication_error", (s, b)
        s, b, _ = http("POST", url, {"model": "x/down", "input": "x"}, auth)
        assert s == 502 and b["error"]["type"] == "server_error", (s, b)
        s, b, _ = http("GET", url, None, auth)
        assert s == 405, (s, b)

        # -- the openai SDK through each adapter
        for slug in ("oai", "gem", "anth"):
            res = run_sdk_script("responses_check.mjs", {
                "SY_BASE_URL": dp.url + "/api/v1", "SY_KEY": key, "SY_MODEL": f"x/{slug}"})
            r = sdk_step(res, "create")
            assert r["object"] == "response" and r["model"] == f"x/{slug}", r
            assert r["id"] == r["header_id"] and r["types"] == ["message"], r
            assert r["text"] == "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7", r
            assert r["status"] == "incomplete" and r["metadata"] == {"run": "sdk"}, r
            assert r["usage"]["output_tokens"] == 8 and r["usage"]["cost"] > 0, r
            st = sdk_step(res, "stream")
            assert st["text"] == TOKENS and st["output_text"] == TOKENS, st
            assert st["seqs"] == list(range(len(st["types"]))), st
            assert st["types"][0] == "response.created", st
            assert st["types"][-1] == "response.completed" and st["status"] == "completed"
            assert st["usage"]["output_tokens"] == 16, st
            hp = sdk_step(res, "helper")
            assert hp["text"] == TOKENS and hp["status"] == "completed", hp
            t = sdk_step(res, "tools")
            assert t["first_types"] == ["function_call"], t
            assert t["call"]["name"] == "get_weather", t
            assert t["call"]["arguments"] == '{"city":"Paris"}', t
            assert t["second_text"] == TOKENS and t["second_types"] == ["message"], t
            ts = sdk_step(res, "tools_stream")
            assert ts["args"] == ts["arguments"] == '{"city":"Paris"}', ts
            assert ts["name"] == "get_weather" and ts["status"] == "completed", ts
            e = res["stateless"]
            assert not e["ok"] and e["status"] == 400 and "stateless" in e["error"], e


if __name__ == "__main__":
    main()
