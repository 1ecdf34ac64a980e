"""POST /embeddings fails over like chat, before the first byte: a 503, a reset and a 429 on
the first endpoint move to the next one (the answer and the bill are the one that served);
when every endpoint fails the client gets the chat's statuses (502, or 429 when all were rate
limited) and the generation, kind embeddings, costs nothing and lists every attempt.
"""
from sy_cluster import Cluster
from sy_embed import add_embed_model, cost, embed, same_money, tokens_of, wait_embed_models

ORDER = {"order": ["ea", "eb"]}


def attempts(g):
    return [(a["provider"], a["error_class"]) for a in g["provider_responses"]]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("ea", "Embed A")
        c.add_mock_provider("eb", "Embed B")
        add_embed_model(c, "e/503", [("ea", "emb@fault=503"), ("eb", "emb")])
        add_embed_model(c, "e/reset", [("ea", "emb@fault=reset"), ("eb", "emb")])
        add_embed_model(c, "e/429", [("ea", "emb@fault=429"), ("eb", "emb")])
        add_embed_model(c, "e/down", [("ea", "emb@fault=503"), ("eb", "emb@fault=500")])
        add_embed_model(c, "e/busy", [("ea", "emb@fault=429"), ("eb", "emb@fault=429")])
        wait_embed_models(dp, key, "e/503", "e/reset", "e/429", "e/down", "e/busy")
        text = "fail over, please"
        n = tokens_of(text)

        # a reset before any byte is retried once on the same endpoint first (dp_failover)
        for model, cls, tries in (("e/503", "http_5xx", 1), ("e/reset", "reset", 2),
                                  ("e/429", "rate_limited", 1)):
            s, b, h = embed(dp, key, {"model": model, "input": text, "provider": ORDER})
            assert s == 200 and b["provider"] == "Embed B", (model, s, b)
            assert len(b["data"]) == 1 and same_money(b["usage"]["cost"], cost(n)), b
            g = c.generation(dp, key, h["X-Generation-Id"])
            assert g["kind"] == "embeddings" and same_money(g["total_cost"], cost(n)), g
            assert attempts(g) == [("ea", cls)] * tries + [("eb", "")], (model, g)
            print(f"{model}: served by eb after {cls}")

        s, b, h = embed(dp, key, {"model": "e/down", "input": text, "provider": ORDER})
        assert s == 502 and b["error"]["code"] == 502, (s, b)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["kind"] == "embeddings" and g["total_cost"] == 0, g
        # (a quick failure of the last endpoint is retried once, as for chat)
        assert attempts(g) == [("ea", "http_5xx"), ("eb", "http_5xx"), ("eb", "http_5xx")], g

        s, b, h = embed(dp, key, {"model": "e/busy", "input": text})
        assert s == 429, (s, b)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["total_cost"] == 0 and len(g["provider_responses"]) == 2, g

        # no fallbacks beyond provider.order: its one endpoint's failure is the answer
        s, b, _ = embed(dp, key, {"model": "e/503", "input": text,
                                  "provider": {"order": ["ea"], "allow_fallbacks": False}})
        assert s == 502, (s, b)
    print("ok")


if __name__ == "__main__":
    main()
