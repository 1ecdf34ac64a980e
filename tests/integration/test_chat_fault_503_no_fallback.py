"""Fault 503 without a fallback: after one quick retry of the only endpoint the client gets
502 in OpenRouter's envelope with provider_name, the upstream status and its body in raw (never
the credential); the generation records the failure with both attempts. A stream request fails
the same way before its 200.
"""
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "hi"}]


def check_502(b, h):
    assert h["Content-Type"].startswith("application/json"), h
    assert h["X-Generation-Id"], h
    e = b["error"]
    assert e["code"] == 502 and e["message"], e
    md = e["metadata"]
    assert md["provider_name"] == "Provider A", md
    assert md["error_type"] == "provider_unavailable" and md["reason"] == "provider_error", md
    assert md["status"] == 503, md
    assert "service_unavailable" in md["raw"], md
    assert "secret-of-pa" not in str(b), b


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("f/down", [("pa", "echo@fault=503")])
        c.wait_models(dp, key, "f/down")

        s, b, h = c.chat(dp, key, {"model": "f/down", "messages": MSGS})
        assert s == 502, (s, b)
        check_502(b, h)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["finish_reason"] is None and g["total_cost"] == 0, g
        assert g["tokens_completion"] == 0, g
        assert [(a["status"], a["error_class"]) for a in g["provider_responses"]] == \
            [(503, "http_5xx"), (503, "http_5xx")], g

        s, h, events, b = c.chat_stream(dp, key, {"model": "f/down", "messages": MSGS})
        assert s == 502 and events is None, (s, events, b)
        check_502(b, h)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["streamed"] is True and g["finish_reason"] is None, g
    print("ok")


if __name__ == "__main__":
    main()
