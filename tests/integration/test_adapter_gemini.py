"""A Gemini (generateContent) provider behind the OpenAI-shaped API, through the mock: the
request as Google wants it (x-goog-api-key, model in the URL, systemInstruction, contents of
user/model parts, inlineData and fileData, generationConfig, functionDeclarations and
toolConfig, thinkingConfig), the answer and the SSE stream (CRLF-framed, no [DONE]) mapped
back with finish_reason and native_finish_reason, cached and thought tokens priced exactly,
a tool round trip (the result finds its function's name through the call's id), thoughts as
reasoning, a blocked prompt as content_filter, and the faults: 429 RESOURCE_EXHAUSTED and
503 UNAVAILABLE fail over, 400 INVALID_ARGUMENT (input token count) is the client's; every
request leaves exactly one usage record with the right cost.
"""
import json

from sy_adapters import (add_model, add_provider, cost, mock_last, one_record,
                         reasoning_of, same_money, text_of, tool_frags)
from sy_cluster import Cluster, sse_data

TOKENS = " ".join(f"tok{i}" for i in range(16))
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}]
ASK = [{"role": "user", "content": "Weather in Paris?"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        add_provider(c, "gem", "gemini", "Google AI Studio")
        add_provider(c, "gemb", "gemini", "Google B")
        add_model(c, "google/gemini-mock", [("gem", "gemini-mock@usage=cached:4")])
        add_model(c, "google/blocked", [("gem", "echo@fault=content-filter")])
        add_model(c, "google/busy", [("gemb", "echo@fault=429"), ("gem", "echo")])
        add_model(c, "google/down", [("gemb", "echo@fault=503")])
        add_model(c, "google/long", [("gem", "echo@fault=context-length")])
        c.wait_models(dp, key, "google/gemini-mock", "google/blocked", "google/busy",
                      "google/down", "google/long")

        msgs = [{"role": "developer", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "Compare these."},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "image_url", "image_url": "https://example.com/cat.webp"}]}]
        s, b, h = c.chat(dp, key, {"model": "google/gemini-mock", "messages": msgs,
                                   "max_tokens": 64, "temperature": 0.2, "top_p": 0.9,
                                   "top_k": 3, "stop": ["END"], "seed": 7,
                                   "response_format": {"type": "json_schema", "json_schema": {
                                       "name": "x", "schema": {"type": "object"}}}})
        assert s == 200, (s, b)
        ch = b["choices"][0]
        assert ch["message"]["content"] == TOKENS, ch
        assert ch["finish_reason"] == "stop" and ch["native_finish_reason"] == "STOP", ch
        assert b["provider"] == "Google AI Studio", b
        u = b["usage"]
        assert u["prompt_tokens_details"] == {"cached_tokens": 4, "cache_write_tokens": 0}, u
        assert u["completion_tokens"] == 16, u
        assert same_money(u["cost"], cost(u)), (u, cost(u))
        assert same_money(one_record(c, dp, key, h["X-Generation-Id"])["total_cost"], cost(u))
        last = mock_last(c)
        assert last["path"] == "/gem/v1beta/models/gemini-mock@usage=cached:4:generateContent"
        assert last["authorization"] == "secret-of-gem", last
        up = last["body"]
        assert up["systemInstruction"] == {"parts": [{"text": "Be brief."}]}, up
        assert up["contents"] == [{"role": "user", "parts": [
            {"text": "Compare these."},
            {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
            {"fileData": {"mimeType": "image/webp",
                          "fileUri": "https://example.com/cat.webp"}}]}], up
        assert up["generationConfig"] == {
            "maxOutputTokens": 64, "temperature": 0.2, "topP": 0.9, "topK": 3, "seed": 7,
            "stopSequences": ["END"], "responseMimeType": "application/json",
            "responseSchema": {"type": "object"}}, up

        # -- streamed
        s, h, events, _ = c.chat_stream(dp, key, {"model": "google/gemini-mock",
                                                  "messages": ASK})
        assert s == 200, (s, events)
        data = sse_data(events)
        assert data[-1] == "[DONE]" and text_of(data) == TOKENS, data
        assert data[0]["choices"][0]["delta"]["role"] == "assistant", data[0]
        fin = [d for d in data[:-1] if d["choices"] and d["choices"][0]["finish_reason"]]
        assert fin[-1]["choices"][0]["native_finish_reason"] == "STOP", fin
        u = data[-2]["usage"]
        assert u["completion_tokens"] == 16 and same_money(u["cost"], cost(u)), u
        assert mock_last(c)["path"].endswith(":streamGenerateContent"), mock_last(c)

        # -- tools: call (our id), result (by the call's name), answer
        s, b, _ = c.chat(dp, key, {"model": "google/gemini-mock", "messages": ASK,
                                   "tools": TOOLS, "tool_choice": {
                                       "type": "function",
                                       "function": {"name": "get_weather"}}})
        assert s == 200, (s, b)
        ch = b["choices"][0]
        assert ch["finish_reason"] == "tool_calls", ch
        call = ch["message"]["tool_calls"][0]
        assert call["id"].startswith("call_") and call["function"]["name"] == "get_weather"
        assert json.loads(call["function"]["arguments"]) == {"location": "Paris"}, call
        up = mock_last(c)["body"]
        assert up["tools"] == [{"functionDeclarations": [{
            "name": "get_weather", "description": "Weather for a city",
            "parameters": TOOLS[0]["function"]["parameters"]}]}], up
        assert up["toolConfig"] == {"functionCallingConfig": {
            "mode": "ANY", "allowedFunctionNames": ["get_weather"]}}, up
        turn = ASK + [ch["message"], {"role": "tool", "tool_call_id": call["id"],
                                      "content": "{\"temp\": 18}"}]
        s, b, _ = c.chat(dp, key, {"model": "google/gemini-mock", "messages": turn,
                                   "tools": TOOLS})
        assert s == 200 and b["choices"][0]["message"]["content"] == TOKENS, (s, b)
        up = mock_last(c)["body"]
        assert up["contents"][1] == {"role": "model", "parts": [
            {"functionCall": {"name": "get_weather", "args": {"location": "Paris"}}}]}, up
        assert up["contents"][2] == {"role": "user", "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temp": 18}}}]}, up

        s, h, events, _ = c.chat_stream(dp, key, {"model": "google/gemini-mock",
                                                  "messages": ASK, "tools": TOOLS})
        data = sse_data(events)
        frags = tool_frags(data)
        assert len(frags) == 1 and frags[0]["id"].startswith("call_"), frags
        assert json.loads(frags[0]["function"]["arguments"]) == {"location": "Paris"}, frags
        fin = [d for d in data[:-1] if d["choices"] and d["choices"][0]["finish_reason"]]
        assert fin[-1]["choices"][0]["finish_reason"] == "tool_calls", fin

        # -- thinking: thoughts are reasoning, thought tokens are completion tokens
        s, b, _ = c.chat(dp, key, {"model": "google/gemini-mock", "messages": ASK,
                                   "max_tokens": 1000, "reasoning": {"effort": "medium"}})
        assert s == 200, (s, b)
        assert mock_last(c)["body"]["generationConfig"]["thinkingConfig"] == {
            "thinkingBudget": 500, "includeThoughts": True}, mock_last(c)
        m = b["choices"][0]["message"]
        assert m["reasoning"] == "thought0 thought1 thought2 thought3", m
        u = b["usage"]
        assert u["completion_tokens"] == 20, u
        assert u["completion_tokens_details"]["reasoning_tokens"] == 4, u
        assert same_money(u["cost"], cost(u)), u
        s, h, events, _ = c.chat_stream(dp, key, {"model": "google/gemini-mock",
                                                  "messages": ASK,
                                                  "reasoning": {"max_tokens": 256}})
        data = sse_data(events)
        assert reasoning_of(data) == "thought0 thought1 thought2 thought3", data
        assert data[-2]["usage"]["completion_tokens_details"]["reasoning_tokens"] == 4

        # -- a blocked prompt is a content_filter answer
        s, b, h = c.chat(dp, key, {"model": "google/blocked", "messages": ASK})
        assert s == 200, (s, b)
        ch = b["choices"][0]
        assert ch["finish_reason"] == "content_filter", ch
        assert ch["native_finish_reason"] == "SAFETY", ch
        one_record(c, dp, key, h["X-Generation-Id"])

        # -- 429 RESOURCE_EXHAUSTED fails over; 503 UNAVAILABLE alone is a 502
        s, b, h = c.chat(dp, key, {"model": "google/busy", "messages": ASK,
                                   "provider": {"order": ["gemb", "gem"]}})
        assert s == 200 and b["provider"] == "Google AI Studio", (s, b)
        g = one_record(c, dp, key, h["X-Generation-Id"])
        assert [(a["provider"], a["status"]) for a in g["provider_responses"]] == [
            ("gemb", 429), ("gem", 200)], g
        assert same_money(g["total_cost"], cost(b["usage"])), g
        s, b, h = c.chat(dp, key, {"model": "google/down", "messages": ASK})
        assert s == 502 and b["error"]["metadata"]["status"] == 503, (s, b)
        assert "UNAVAILABLE" in b["error"]["metadata"]["raw"], b
        assert one_record(c, dp, key, h["X-Generation-Id"])["total_cost"] == 0

        # -- 400 input token count: the client's
        s, b, h = c.chat(dp, key, {"model": "google/long", "messages": ASK})
        assert s == 400, (s, b)
        assert b["error"]["metadata"]["error_type"] == "context_length_exceeded", b
        assert len(one_record(c, dp, key, h["X-Generation-Id"])["provider_responses"]) == 1
    print("ok")


if __name__ == "__main__":
    main()
