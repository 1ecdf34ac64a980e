"""Response healing (docs/healing.md): a model's broken JSON repaired before it reaches the
client, through the mock's reply=echo (the answer is the last user message's text).

plugins: [{"id": "response-healing"}] asks for it; the dataplane's --heal-json turns it on
for response_format json_object / json_schema (a request can turn it off with
"enabled": false). Non-streamed: the content is replaced, message.healed is true, the
X-Response-Healing header and the generation's response_healing say what happened; content
that cannot be healed comes back unchanged and is counted as such. Streamed: the deltas pass
unchanged and the final usage chunk carries healing {status, content}. Other plugins are
refused with a 400 naming them.
"""
import json

from sy_cluster import Cluster, sse_data

HEAL = [{"id": "response-healing"}]


def ask(text, **extra):
    return dict({"model": "h/echo", "messages": [{"role": "user", "content": text}]}, **extra)


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster(dp_extra=["--heal-json"])
        c.add_mock_provider("pa", "Provider A")
        c.add_model("h/echo", [("pa", "echo@reply=echo")])
        c.wait_models(dp, key, "h/echo")

        def heal_case(text, body_extra, want_content, want_status):
            s, b, h = c.chat(dp, key, ask(text, **body_extra))
            assert s == 200, (s, b)
            msg = b["choices"][0]["message"]
            assert msg["content"] == want_content, (text, msg)
            assert h.get("X-Response-Healing") == want_status, (text, dict(h))
            assert msg.get("healed", False) == (want_status == "healed"), msg
            assert b["usage"]["cost"] > 0, b
            g = c.generation(dp, key, h["X-Generation-Id"])
            assert g["response_healing"] == want_status, g
            return b

        # a fenced answer with a trailing comma, asked for by the plugin
        heal_case('```json\n{"name": "Ada", "tags": ["x", "y",],}\n```', {"plugins": HEAL},
                  '{"name":"Ada","tags":["x","y"]}', "healed")
        # a truncated answer, healed because the operator turned it on for json_object
        heal_case('{"items": [{"id": 1}, {"id": 2, "title": "Sec',
                  {"response_format": {"type": "json_object"}},
                  '{"items":[{"id":1},{"id":2,"title":"Sec"}]}', "healed")
        # Python habits and single quotes, json_schema
        heal_case("Here you go: {'ok': True, 'err': None}", {"response_format": {
            "type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object"}}}},
            '{"ok":true,"err":null}', "healed")
        # valid JSON passes as it is; prose that holds no JSON is returned unchanged
        heal_case('{"a": [1, 2]}', {"plugins": HEAL}, '{"a": [1, 2]}', "valid")
        heal_case("I'm sorry, I can't produce that.", {"plugins": HEAL},
                  "I'm sorry, I can't produce that.", "unhealable")

        # not asked for: untouched, nothing said, the generation says null
        broken = '{"a": 1,}'
        for extra in ({}, {"response_format": {"type": "text"}},
                      {"response_format": {"type": "json_object"},
                       "plugins": [{"id": "response-healing", "enabled": False}]}):
            s, b, h = c.chat(dp, key, ask(broken, **extra))
            assert s == 200 and b["choices"][0]["message"]["content"] == broken, (extra, b)
            assert "healed" not in b["choices"][0]["message"], b
            assert h.get("X-Response-Healing") is None, dict(h)
            assert c.generation(dp, key, h["X-Generation-Id"])["response_healing"] is None

        # other plugins are refused, naming them
        for pl, name in (([{"id": "web", "max_results": 3}], "web"),
                         ([{"id": "response-healing"}, {"id": "file-parser"}], "file-parser")):
            s, b, _ = c.chat(dp, key, ask(broken, plugins=pl))
            assert s == 400, (s, b)
            assert f"the {name} plugin is not available" in b["error"]["message"], b
        s, b, _ = c.chat(dp, key, ask(broken, plugins={"id": "response-healing"}))
        assert s == 400 and "plugins must be an array" in b["error"]["message"], b

        # a stream: the deltas pass unchanged, the usage chunk carries the healed content
        text = '```json\n{"list": [1, 2, {"deep": "cut off'
        s, h, events, _ = c.chat_stream(dp, key, ask(text, plugins=HEAL))
        assert s == 200, (s, events)
        data = sse_data(events)
        assert data[-1] == "[DONE]", data[-3:]
        chunks = [d for d in data if isinstance(d, dict)]
        streamed = "".join(ch["choices"][0]["delta"].get("content") or ""
                           for ch in chunks if ch["choices"])
        assert streamed == text, streamed
        assert len([ch for ch in chunks if ch["choices"]]) > 3, chunks  # really in pieces
        last = chunks[-1]
        assert last["choices"] == [] and "usage" in last, last
        assert last["healing"]["status"] == "healed", last
        assert json.loads(last["healing"]["content"]) == {"list": [1, 2, {"deep": "cut off"}]}
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["response_healing"] == "healed" and g["streamed"], g

        # a stream whose content is valid JSON: said so, no content repeated
        s, h, events, _ = c.chat_stream(dp, key, ask('{"ok": 1}', plugins=HEAL))
        last = [d for d in sse_data(events) if isinstance(d, dict)][-1]
        assert last["healing"] == {"status": "valid"}, last
    print("ok")


if __name__ == "__main__":
    main()
