"""POST /messages (Anthropic's Messages API) through each adapter of the mock: the message
object and the event stream whichever format served (OpenAI, Gemini by translation, Anthropic
by pass-through: the client's body goes upstream with only the model id changed, thinking
signatures, cache_control and unknown members surviving, anthropic-version and anthropic-beta
forwarded, the answer given back as the provider wrote it); ping events while waiting;
fail-over between pass-through and translation; x-api-key or Bearer auth; what
cannot be honoured is a 400 naming it in Anthropic's envelope, and so are the gateway's other
refusals (401, 404, 502) before the first byte; a failure after it is an error event;
/messages/count_tokens answers with an estimate; every request leaves one usage record.
"""
import json

from sy_adapters import add_model, add_provider, mock_last, one_record
from sy_cluster import Cluster, http, sse

TOKENS = " ".join(f"tok{i}" for i in range(16))
TOOLS = [{"name": "get_weather", "description": "Weather for a city",
          "input_schema": {"type": "object", "properties": {"location": {"type": "string"}},
                           "required": ["location"]}}]


def events(evs):
    """(event name, parsed data) of an Anthropic stream's events (comments skipped)."""
    out = []
    for e in evs:
        name, data = None, None
        for line in e.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
        if data is not None:
            assert name == data["type"], e
            out.append((name, data))
    return out


def streamed_text(evs):
    return "".join(d["delta"]["text"] for n, d in evs
                   if n == "content_block_delta" and d["delta"]["type"] == "text_delta")


def check_sequence(evs, stop):
    names = [n for n, _ in evs if n != "ping"]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"], names
    opened = [d["index"] for n, d in evs if n == "content_block_start"]
    closed = [d["index"] for n, d in evs if n == "content_block_stop"]
    assert opened == closed == list(range(len(opened))), (opened, closed)
    delta = [d for n, d in evs if n == "message_delta"][0]
    assert delta["delta"]["stop_reason"] == stop, delta
    return delta["usage"]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster(dp_extra=["--processing-comment-ms", "200"])
        for slug, adapter in (("oai", "openai"), ("gem", "gemini"), ("anth", "anthropic")):
            add_provider(c, slug, adapter, slug.upper())
            add_model(c, f"x/{slug}", [(slug, "echo")])
            add_model(c, f"x/{slug}-cut", [(slug, "echo@fault=stream-cut")])
        add_model(c, "x/down", [("oai", "echo@fault=503")])
        add_model(c, "x/slow", [("oai", "echo@ttft=700")])
        add_model(c, "x/mixed", [("oai", "echo"), ("anth", "echo")])
        add_model(c, "x/anth-first-down", [("anth", "echo@fault=529"), ("oai", "echo")])
        c.wait_models(dp, key, "x/oai", "x/gem", "x/anth", "x/down", "x/oai-cut",
                      "x/anth-cut", "x/slow", "x/mixed", "x/anth-first-down")
        url = dp.url + "/api/v1/messages"
        xkey = {"x-api-key": key, "anthropic-version": "2023-06-01"}

        # -- the message object and the stream through each format
        for slug in ("oai", "gem", "anth"):
            body = {"model": f"x/{slug}", "max_tokens": 100,
                    "system": [{"type": "text", "text": "Be brief.",
                                "cache_control": {"type": "ephemeral"}}],
                    "messages": [{"role": "user", "content": "Hello"}]}
            s, b, h = http("POST", url, body, xkey)
            assert s == 200, (slug, s, b)
            assert b["type"] == "message" and b["role"] == "assistant", b
            assert b["content"] == [{"type": "text", "text": TOKENS}], b
            assert b["stop_reason"] == "end_turn" and b["stop_sequence"] is None, b
            u = b["usage"]
            assert u["output_tokens"] == 16 and u["input_tokens"] > 0, u
            assert u["cache_read_input_tokens"] == 0 == u["cache_creation_input_tokens"], u
            g = one_record(c, dp, key, h["X-Generation-Id"])
            assert g["model"] == f"x/{slug}" and g["tokens_completion"] == 16, g
            if slug == "anth":  # pass-through: the provider's own answer
                assert b["id"].startswith("msg_") and b["model"] == "echo", b
                last = mock_last(c)
                assert last["body"] == dict(body, model="echo"), last
                assert last["anthropic_version"] == "2023-06-01", last
            else:
                assert b["id"] == h["X-Generation-Id"] and b["model"] == f"x/{slug}", b
                assert u["cost"] > 0, u
            # Bearer works as well as x-api-key; the stream
            st, hd, evs, _ = sse("POST", url, dict(body, stream=True),
                                 {"Authorization": "Bearer " + key})
            assert st == 200 and hd["Content-Type"] == "text/event-stream", (st, hd)
            evs = events(evs)
            assert streamed_text(evs) == TOKENS, evs
            su = check_sequence(evs, "end_turn")
            assert su["output_tokens"] == 16, su
            one_record(c, dp, key, hd["X-Generation-Id"])

        # -- tools: tool_use out, tool_result back in, through a translating format
        for slug in ("oai", "anth"):
            body = {"model": f"x/{slug}", "max_tokens": 100, "tools": TOOLS,
                    "tool_choice": {"type": "auto"},
                    "messages": [{"role": "user", "content": "Weather in Paris?"}]}
            s, b, _ = http("POST", url, body, xkey)
            assert s == 200 and b["stop_reason"] == "tool_use", b
            call = [x for x in b["content"] if x["type"] == "tool_use"][0]
            assert call["name"] == "get_weather" and call["input"] == {"location": "Paris"}, b
            st, _, evs, _ = sse("POST", url, dict(body, stream=True), xkey)
            evs = events(evs)
            check_sequence(evs, "tool_use")
            start = [d for n, d in evs if n == "content_block_start"
                     and d["content_block"]["type"] == "tool_use"][0]
            args = "".join(d["delta"]["partial_json"] for n, d in evs
                           if n == "content_block_delta"
                           and d["delta"]["type"] == "input_json_delta")
            assert start["content_block"]["name"] == "get_weather", start
            assert json.loads(args) == {"location": "Paris"}, args
            turn2 = dict(body, messages=body["messages"] + [
                {"role": "assistant", "content": [call]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": call["id"], "content": "Sunny"},
                    {"type": "text", "text": "Thanks"}]}])
            s, b, _ = http("POST", url, turn2, xkey)
            assert s == 200 and b["stop_reason"] == "end_turn", b
            assert b["content"][0]["text"] == TOKENS, b
        last = mock_last(c)["body"]  # pass-through: the blocks as the client wrote them
        assert last["messages"][2]["content"][0]["tool_use_id"] == call["id"], last

        # -- pass-through keeps what the gateway does not model
        thinking = {"type": "thinking", "thinking": "Let me see.", "signature": "c2lnbmF0dXJl"}
        body = {"model": "x/anth", "max_tokens": 2000,
                "thinking": {"type": "enabled", "budget_tokens": 1024},
                "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
                "messages": [{"role": "user", "content": "Hi"},
                             {"role": "assistant", "content": [
                                 thinking, {"type": "text", "text": "Hello"}]},
                             {"role": "user", "content": [
                                 {"type": "text", "text": "More",
                                  "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}],
                "provider": {"sort": "price"}, "session_id": "s-1"}
        s, b, _ = http("POST", url, body, dict(xkey, **{"anthropic-beta": "beta-a,beta-b"}))
        assert s == 200, (s, b)
        assert b["content"][0]["type"] == "thinking" and b["content"][0]["signature"], b
        last = mock_last(c)
        sent = {k: v for k, v in body.items() if k not in ("provider", "session_id")}
        assert last["body"] == dict(sent, model="echo"), last
        assert last["anthropic_beta"] == "beta-a,beta-b", last
        # the same on an OpenAI endpoint cannot be honoured: 400 naming the member
        s, b, _ = http("POST", url, dict(body, model="x/oai"), xkey)
        assert s == 400 and b["type"] == "error", (s, b)
        assert b["error"]["type"] == "invalid_request_error", b
        assert "context_management" in b["error"]["message"], b
        # ... but fail-over reaches an endpoint that can: the OpenAI one refuses, Anthropic's
        s, b, h = http("POST", url, dict(body, model="x/mixed",
                                         provider={"order": ["oai", "anth"]}), xkey)
        assert s == 200 and b["id"].startswith("msg_"), (s, b)
        g = one_record(c, dp, key, h["X-Generation-Id"])
        assert [(a["provider"], a["error_class"]) for a in g["provider_responses"]] == \
            [("oai", "unsupported_request"), ("anth", "")], g
        # an Anthropic endpoint down: the next one serves by translation, in the same shape
        s, b, h = http("POST", url, {"model": "x/anth-first-down", "max_tokens": 50,
                                     "messages": [{"role": "user", "content": "Hi"}],
                                     "provider": {"order": ["anth", "oai"]}}, xkey)
        assert s == 200 and b["id"] == h["X-Generation-Id"], (s, b)
        assert b["content"] == [{"type": "text", "text": TOKENS}], b
        st, hd, evs, _ = sse("POST", url, {"model": "x/anth-first-down", "max_tokens": 50,
                                           "stream": True, "provider": {"order": ["anth", "oai"]},
                                           "messages": [{"role": "user", "content": "Hi"}]},
                             xkey)
        evs = events(evs)
        assert streamed_text(evs) == TOKENS and check_sequence(evs, "end_turn"), evs
        assert evs[0][1]["message"]["id"] == hd["X-Generation-Id"], evs[0]
        for bad, field in (({"max_tokens": 0}, "max_tokens"),
                           ({"messages": []}, "messages"),
                           ({"thinking": {"type": "sometimes"}}, "thinking"),
                           ({"metadata": {"tenant": "a"}}, "metadata.tenant"),
                           ({"tool_choice": {"type": "every"}}, "tool_choice"),
                           ({"messages": [{"role": "robot", "content": "x"}]},
                            "messages[0].role")):
            s, b, _ = http("POST", url, dict({"model": "x/oai", "max_tokens": 10,
                                              "messages": [{"role": "user", "content": "x"}]},
                                             **bad), xkey)
            assert s == 400 and b["error"]["type"] == "invalid_request_error", (bad, s, b)
            assert field in b["error"]["message"], (field, b)
        s, b, _ = http("POST", url, "{not json", xkey)
        assert s == 400 and b["type"] == "error" and "JSON" in b["error"]["message"], b

        # -- the gateway's own refusals, in Anthropic's envelope with the same status
        ok = {"model": "x/oai", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]}
        s, b, _ = http("POST", url, ok, {"x-api-key": "sk-nope"})
        assert s == 401 and b["error"]["type"] == "authentication_error", (s, b)
        # an unknown model is OpenRouter's 400 model_not_found
        s, b, _ = http("POST", url, dict(ok, model="x/none"), xkey)
        assert s == 400 and b["error"]["type"] == "invalid_request_error", (s, b)
        s, b, _ = http("POST", url, dict(ok, model="x/down"), xkey)
        assert s == 502 and b == {"type": "error", "error": {
            "type": "api_error", "message": b["error"]["message"]}}, (s, b)
        s, b, h = http("GET", url, None, xkey)
        assert s == 405 and b["error"]["type"] == "invalid_request_error", (s, b)
        assert h["Allow"] == "POST", h
        s, b, _ = http("POST", dp.url + "/v1/messages", ok, xkey)  # the /v1 alias
        assert s == 200 and b["type"] == "message", (s, b)

        # -- while waiting for the first token: ping events, not the chat stream's comments
        st, hd, raw, _ = sse("POST", url, dict(ok, model="x/slow", max_tokens=100, stream=True),
                             xkey)
        evs = events(raw)
        pings = [i for i, (n, _) in enumerate(evs) if n == "ping"]
        assert st == 200 and len(pings) >= 2 and pings[0] == 0, [n for n, _ in evs]
        assert not [e for e in raw if e.startswith(":")], raw
        assert streamed_text(evs) == TOKENS and check_sequence(evs, "end_turn"), evs

        # -- a stream cut after the first byte ends with an error event
        for m in ("x/oai-cut", "x/anth-cut"):
            st, hd, evs, _ = sse("POST", url, dict(ok, model=m, max_tokens=100, stream=True),
                                 xkey)
            evs = events(evs)
            assert st == 200 and evs[-1][0] == "error", (m, evs[-3:])
            assert evs[-1][1]["error"]["type"] == "api_error", evs[-1]
            assert "message_stop" not in [n for n, _ in evs], evs
            g = one_record(c, dp, key, hd["X-Generation-Id"])
            assert g["finish_reason"] == "error", g

        # -- count_tokens: an estimate from the text, no provider called
        before = http("GET", f"http://127.0.0.1:{c.mock_port}/mock/stats")[1]["total"]
        ct = dp.url + "/api/v1/messages/count_tokens"
        s, b, _ = http("POST", ct, {"model": "x/oai", "system": "12345678",
                                    "messages": [{"role": "user", "content": "abcdefgh"}]},
                       xkey)
        assert s == 200 and b == {"input_tokens": 4}, (s, b)
        s, b2, _ = http("POST", ct, {"model": "x/oai", "tools": TOOLS, "system": "12345678",
                                     "messages": [{"role": "user", "content": "abcdefgh"}]},
                        xkey)
        assert s == 200 and b2["input_tokens"] > b["input_tokens"], (s, b2)
        s, b, _ = http("POST", ct, {"model": "x/oai"}, xkey)
        assert s == 400 and "messages" in b["error"]["message"], (s, b)
        s, b, _ = http("POST", ct, {"model": "x/oai", "messages": []}, {"x-api-key": "no"})
        assert s == 401 and b["error"]["type"] == "authentication_error", (s, b)
        after = http("GET", f"http://127.0.0.1:{c.mock_port}/mock/stats")[1]["total"]
        assert before == after, (before, after)


if __name__ == "__main__":
    main()
