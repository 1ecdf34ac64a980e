"""Gateway-only request fields. plugins: web and file-parser are refused with a 400 saying they
are not available (nothing reaches a provider), response-healing is accepted. debug
{echo_upstream_body: true} on a stream: the first chunk has empty choices and the exact body
sent upstream (model = the provider's id, no gateway fields); without a stream it is refused.
debug and trace never reach the provider.
"""
import json

from sy_adapters import mock_last
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "hello"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        base = {"model": "mock/echo", "messages": MSGS}

        before = c.mock_stats()
        for pid in ("web", "file-parser"):
            s, b, _ = c.chat(dp, key, dict(base, plugins=[{"id": pid}]))
            assert s == 400, (pid, s, b)
            assert b["error"]["message"] == \
                f"plugins[0]: the {pid} plugin is not available on this gateway", b
        assert c.mock_stats() == before, "a refused request reached the provider"
        s, b, _ = c.chat(dp, key, dict(base, plugins=[{"id": "response-healing"}]))
        assert s == 200, (s, b)

        s, h, events, _ = c.chat_stream(dp, key, dict(base, debug={"echo_upstream_body": True},
                                                      trace={"trace_id": "t-1"}))
        assert s == 200, (s, events)
        data = [json.loads(e[6:]) for e in events if e.startswith("data: {")]
        first = data[0]
        assert first["choices"] == [] and first["id"] == h["X-Generation-Id"], first
        echoed = first["debug"]["echo_upstream_body"]
        up = mock_last(c)["body"]
        assert echoed == up, (echoed, up)
        assert up["model"] == "echo" and up["stream"] is True, up
        for gone in ("debug", "trace", "provider", "plugins"):
            assert gone not in up, (gone, up)
        assert any(d["choices"] and d["choices"][0]["delta"].get("content") for d in data[1:])
        assert events[-1] == "data: [DONE]", events[-1]

        s, b, _ = c.chat(dp, key, dict(base, debug={"echo_upstream_body": True}))
        assert s == 400 and "debug.echo_upstream_body" in b["error"]["message"], (s, b)
        s, b, _ = c.chat(dp, key, dict(base, trace={"trace_id": "t-2"}))
        assert s == 200 and "trace" not in mock_last(c)["body"], (s, b)
        print("ok")


if __name__ == "__main__":
    main()
