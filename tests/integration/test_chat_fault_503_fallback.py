"""Fault 503 with a fallback endpoint: the primary answers 503 every time, the fallback serves;
the response's provider, usage and cost are the fallback's (its own prices), the generation
lists both attempts. After DP_HEALTH_EJECT_AFTER (3) consecutive faults the primary is ejected
and the next request goes straight to the fallback. Streaming fails over the same way.
"""
import math
from decimal import Decimal

from sy_cluster import Cluster, sse_data

MSGS = [{"role": "user", "content": "Where is the fallback?"}]
ORDER = {"order": ["pa", "pb"]}


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_mock_provider("pb", "Provider B")
        c.add_model("f/fb", [("pa", "echo@fault=503", "0.000001", "0.000002"),
                             ("pb", "echo", "0.000003", "0.000006")])
        c.wait_models(dp, key, "f/fb")

        s, b, h = c.chat(dp, key, {"model": "f/fb", "messages": MSGS, "provider": ORDER})
        assert s == 200, (s, b)
        assert b["provider"] == "Provider B" and b["model"] == "f/fb", b
        u = b["usage"]
        cost = float(u["prompt_tokens"] * Decimal("0.000003") +
                     u["completion_tokens"] * Decimal("0.000006"))
        assert math.isclose(u["cost"], cost, abs_tol=1e-12), (u, cost)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["provider_name"] == "Provider B", g
        assert math.isclose(g["total_cost"], cost, abs_tol=1e-12), g
        assert [(a["provider"], a["status"], a["error_class"]) for a in g["provider_responses"]] \
            == [("pa", 503, "http_5xx"), ("pb", 200, "")], g

        s, h, events, _ = c.chat_stream(dp, key, {"model": "f/fb", "messages": MSGS,
                                                  "provider": ORDER})
        assert s == 200, (s, events)
        data = sse_data(events)
        assert data[-1] == "[DONE]", data
        assert all(d["provider"] == "Provider B" for d in data[:-1]), data
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [a["provider"] for a in g["provider_responses"]] == ["pa", "pb"], g

        # third consecutive fault ejects the primary; the fourth request skips it
        s, b, _ = c.chat(dp, key, {"model": "f/fb", "messages": MSGS, "provider": ORDER})
        assert s == 200, (s, b)
        before = c.mock_stats()["prefixes"]["pa"]
        assert before == 3, c.mock_stats()
        s, b, h = c.chat(dp, key, {"model": "f/fb", "messages": MSGS, "provider": ORDER})
        assert s == 200 and b["provider"] == "Provider B", (s, b)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [a["provider"] for a in g["provider_responses"]] == ["pb"], g
        assert c.mock_stats()["prefixes"]["pa"] == before
    print("ok")


if __name__ == "__main__":
    main()
