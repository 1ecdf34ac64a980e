"""An Anthropic (Messages API) provider behind the OpenAI-shaped API, through the mock:
the request as Anthropic wants it (x-api-key, anthropic-version, system, content blocks,
images, stop_sequences, max_tokens from the catalog, top_k, hashed metadata.user_id), the
answer and the stream mapped back (finish_reason with native_finish_reason, cache reads and
writes priced at the endpoint's cache prices, exactly), a tool round trip, thinking as
reasoning with its signature sent back on the next turn, a refusal as content_filter, and
the faults: 529 and 401 fail over (the latter as provider_auth), 400 context length is the
client's; every request leaves exactly one usage record with the right cost.
"""
import json
import re

from sy_adapters import (add_model, add_provider, cost, mock_last, one_record,
                         reasoning_of, same_money, text_of, tool_frags)
from sy_cluster import Cluster, sse_data

TOKENS = " ".join(f"tok{i}" for i in range(16))
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}]
IMAGE = "data:image/png;base64,iVBORw0KGgo="


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        add_provider(c, "anth", "anthropic", "Anthropic")
        add_provider(c, "anthb", "anthropic", "Anthropic B")
        add_model(c, "anthropic/claude-mock",
                  [("anth", "echo@usage=cached:4,usage=cache_write:6",
                    {"max_completion_tokens": 777})])
        add_model(c, "anthropic/refuses", [("anth", "echo@fault=content-filter")])
        add_model(c, "anthropic/overloaded", [("anth", "echo@fault=529")])
        add_model(c, "anthropic/long", [("anth", "echo@fault=context-length")])
        add_model(c, "anthropic/keyless", [("anthb", "echo@fault=401"), ("anth", "echo")])
        c.wait_models(dp, key, "anthropic/claude-mock", "anthropic/refuses",
                      "anthropic/overloaded", "anthropic/long", "anthropic/keyless")

        # -- a plain answer, and the request Anthropic received
        msgs = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is in this picture?",
                     "cache_control": {"type": "ephemeral"}},
                    {"type": "image_url", "image_url": {"url": IMAGE}}]}]
        s, b, h = c.chat(dp, key, {"model": "anthropic/claude-mock", "messages": msgs,
                                   "stop": "END", "temperature": 0.5, "top_k": 5,
                                   "user": "alice"})
        assert s == 200, (s, b)
        ch = b["choices"][0]
        assert ch["message"]["content"] == TOKENS, ch
        assert ch["finish_reason"] == "stop" and ch["native_finish_reason"] == "end_turn", ch
        assert b["provider"] == "Anthropic" and b["model"] == "anthropic/claude-mock", b
        u = b["usage"]
        assert u["prompt_tokens_details"] == {"cached_tokens": 4, "cache_write_tokens": 6}, u
        assert u["completion_tokens"] == 16 and u["prompt_tokens"] >= 10, u
        assert same_money(u["cost"], cost(u)), (u, cost(u))
        g = one_record(c, dp, key, h["X-Generation-Id"])
        assert same_money(g["total_cost"], cost(u)), g
        last = mock_last(c)
        assert last["path"] == "/anth/v1/messages", last
        assert last["authorization"] == "secret-of-anth", last
        up = last["body"]
        assert up["model"] == "echo@usage=cached:4,usage=cache_write:6", up
        assert up["system"] == [{"type": "text", "text": "Be brief."}], up
        assert up["messages"] == [{"role": "user", "content": [
            {"type": "text", "text": "What is in this picture?",
             "cache_control": {"type": "ephemeral"}},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": "iVBORw0KGgo="}}]}], up
        assert up["max_tokens"] == 777 and up["stop_sequences"] == ["END"], up
        assert up["temperature"] == 0.5 and up["top_k"] == 5, up
        assert re.fullmatch(r"[0-9a-f]{32}", up["metadata"]["user_id"]), up
        for k in ("user", "stop", "provider", "messages[0]"):
            assert k not in up, up

        # -- the same streamed: chunks as the events arrive, usage last, [DONE]
        s, h, events, _ = c.chat_stream(dp, key, {"model": "anthropic/claude-mock",
                                                  "messages": msgs, "max_tokens": 100})
        assert s == 200, (s, events)
        data = sse_data(events)
        assert data[-1] == "[DONE]" and text_of(data) == TOKENS, data
        fin = [d for d in data[:-1] if d["choices"] and d["choices"][0]["finish_reason"]]
        assert fin[-1]["choices"][0]["finish_reason"] == "stop", fin
        assert fin[-1]["choices"][0]["native_finish_reason"] == "end_turn", fin
        u = data[-2]["usage"]
        assert data[-2]["choices"] == [] and u["completion_tokens"] == 16, data[-2]
        assert u["prompt_tokens_details"]["cache_write_tokens"] == 6, u
        assert same_money(u["cost"], cost(u)), u
        assert mock_last(c)["body"]["stream"] is True
        assert mock_last(c)["body"]["max_tokens"] == 100

        # -- tools: call, result, answer
        ask = [{"role": "user", "content": "Weather in Paris?"}]
        s, b, _ = c.chat(dp, key, {"model": "anthropic/claude-mock", "messages": ask,
                                   "tools": TOOLS, "tool_choice": "required"})
        assert s == 200, (s, b)
        ch = b["choices"][0]
        assert ch["finish_reason"] == "tool_calls" and ch["native_finish_reason"] == "tool_use"
        call = ch["message"]["tool_calls"][0]
        assert call["id"].startswith("toolu_") and call["type"] == "function", call
        assert call["function"]["name"] == "get_weather", call
        assert json.loads(call["function"]["arguments"]) == {"location": "Paris"}, call
        up = mock_last(c)["body"]
        assert up["tools"] == [{"name": "get_weather", "description": "Weather for a city",
                                "input_schema": TOOLS[0]["function"]["parameters"]}], up
        assert up["tool_choice"] == {"type": "any"}, up
        turn = ask + [ch["message"], {"role": "tool", "tool_call_id": call["id"],
                                      "content": "18 degrees, sunny"}]
        s, b, _ = c.chat(dp, key, {"model": "anthropic/claude-mock", "messages": turn,
                                   "tools": TOOLS})
        assert s == 200 and b["choices"][0]["message"]["content"] == TOKENS, (s, b)
        up = mock_last(c)["body"]
        assert up["messages"][1] == {"role": "assistant", "content": [
            {"type": "tool_use", "id": call["id"], "name": "get_weather",
             "input": {"location": "Paris"}}]}, up
        assert up["messages"][2] == {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": call["id"],
             "content": "18 degrees, sunny"}]}, up

        s, h, events, _ = c.chat_stream(dp, key, {"model": "anthropic/claude-mock",
                                                  "messages": ask, "tools": TOOLS})
        data = sse_data(events)
        frags = tool_frags(data)
        assert frags[0]["index"] == 0 and frags[0]["id"].startswith("toolu_"), frags
        assert frags[0]["function"]["name"] == "get_weather", frags
        assert all("id" not in f for f in frags[1:]) and len(frags) >= 2, frags
        args = "".join(f["function"].get("arguments", "") for f in frags)
        assert json.loads(args) == {"location": "Paris"}, args

        # -- thinking: reasoning + reasoning_details with the signature, sent back next turn
        s, b, _ = c.chat(dp, key, {"model": "anthropic/claude-mock", "messages": ask,
                                   "max_tokens": 500, "reasoning": {"max_tokens": 2000}})
        assert s == 200, (s, b)
        up = mock_last(c)["body"]
        assert up["thinking"] == {"type": "enabled", "budget_tokens": 2000}, up
        assert up["max_tokens"] > 2000, up
        m = b["choices"][0]["message"]
        assert m["reasoning"] == "thought0 thought1 thought2 thought3", m
        det = m["reasoning_details"][0]
        assert det["type"] == "reasoning.text" and det["signature"], det
        assert det["format"] == "anthropic-claude-v1", det
        assert b["usage"]["completion_tokens"] == 20, b["usage"]
        s, b, _ = c.chat(dp, key, {"model": "anthropic/claude-mock",
                                   "messages": ask + [m, {"role": "user", "content": "And?"}],
                                   "reasoning": {"effort": "low"}})
        assert s == 200, (s, b)
        up = mock_last(c)["body"]
        assert up["messages"][1]["content"][0] == {
            "type": "thinking", "thinking": m["reasoning"], "signature": det["signature"]}, up
        assert up["thinking"]["budget_tokens"] == 1024, up  # 20 % of 777 is below the floor

        s, h, events, _ = c.chat_stream(dp, key, {"model": "anthropic/claude-mock",
                                                  "messages": ask,
                                                  "reasoning": {"effort": "high"}})
        data = sse_data(events)
        assert reasoning_of(data) == "thought0 thought1 thought2 thought3", data
        sigs = [r.get("signature") for d in data if isinstance(d, dict) and d.get("choices")
                for r in d["choices"][0]["delta"].get("reasoning_details") or []]
        assert any(sigs) and text_of(data) == TOKENS, data

        # -- a refusal is a content_filter answer
        s, b, h = c.chat(dp, key, {"model": "anthropic/refuses", "messages": ask})
        assert s == 200, (s, b)
        ch = b["choices"][0]
        assert ch["finish_reason"] == "content_filter", ch
        assert ch["native_finish_reason"] == "refusal", ch
        assert same_money(one_record(c, dp, key, h["X-Generation-Id"])["total_cost"],
                          cost(b["usage"]))

        # -- 529 overloaded: the provider's fault
        s, b, h = c.chat(dp, key, {"model": "anthropic/overloaded", "messages": ask})
        assert s == 502 and b["error"]["metadata"]["status"] == 529, (s, b)
        g = one_record(c, dp, key, h["X-Generation-Id"])
        assert [(a["provider"], a["status"], a["error_class"])
                for a in g["provider_responses"]] == [("anth", 529, "http_5xx")] * 2, g
        assert g["total_cost"] == 0, g

        # -- 400 prompt too long: the client's, no fail-over
        s, b, h = c.chat(dp, key, {"model": "anthropic/long", "messages": ask})
        assert s == 400 and "prompt is too long" in b["error"]["message"], (s, b)
        assert b["error"]["metadata"]["error_type"] == "context_length_exceeded", b
        g = one_record(c, dp, key, h["X-Generation-Id"])
        assert len(g["provider_responses"]) == 1 and g["total_cost"] == 0, g

        # -- 401: our credential was refused; the next endpoint serves
        s, b, h = c.chat(dp, key, {"model": "anthropic/keyless", "messages": ask,
                                   "provider": {"order": ["anthb", "anth"]}})
        assert s == 200 and b["choices"][0]["message"]["content"] == TOKENS, (s, b)
        g = one_record(c, dp, key, h["X-Generation-Id"])
        assert [(a["provider"], a["status"], a["error_class"])
                for a in g["provider_responses"]] == [("anthb", 401, "provider_auth"),
                                                      ("anth", 200, "")], g
        assert same_money(g["total_cost"], cost(b["usage"])), g

        # -- what the Messages API cannot take is refused, naming the field
        s, b, h = c.chat(dp, key, {"model": "anthropic/claude-mock", "messages": [
            {"role": "user", "content": [{"type": "input_audio",
                                          "input_audio": {"data": "AAAA", "format": "wav"}}]}]})
        assert s == 400 and "messages[0].content[0].type" in b["error"]["message"], (s, b)
        assert one_record(c, dp, key, h["X-Generation-Id"])["total_cost"] == 0
    print("ok")


if __name__ == "__main__":
    main()
