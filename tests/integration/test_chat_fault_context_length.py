"""Fault context-length (a 400 for a prompt over the model's context): alone, the client gets
that 400 with the provider's message and nothing is retried; with `models` naming a model with
a longer context, that model serves, the response and billing name it, and the generation
lists both attempts.
"""
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "a very long prompt " * 20}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_mock_provider("pb", "Provider B")
        c.add_model("f/small", [("pa", "echo@fault=context-length")], context_length=8192)
        c.add_model("f/large", [("pb", "echo", "0.000004", "0.000008")], context_length=128000)
        c.wait_models(dp, key, "f/small", "f/large")

        s, b, h = c.chat(dp, key, {"model": "f/small", "messages": MSGS})
        assert s == 400, (s, b)
        assert b["error"]["code"] == 400, b
        assert "maximum context length" in b["error"]["message"], b
        assert b["error"]["metadata"]["provider_name"] == "Provider A", b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [(a["status"], a["error_class"]) for a in g["provider_responses"]] == \
            [(400, "context_length")], g
        assert c.mock_stats()["requests"]["pa|echo@fault=context-length"] == 1

        s, b, h = c.chat(dp, key, {"model": "f/small", "models": ["f/large"], "messages": MSGS})
        assert s == 200, (s, b)
        assert b["model"] == "f/large" and b["provider"] == "Provider B", b
        u = b["usage"]
        assert abs(u["cost"] - (u["prompt_tokens"] * 4e-6 + u["completion_tokens"] * 8e-6)) < 1e-12
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["model"] == "f/large", g
        assert [(a["provider"], a["error_class"]) for a in g["provider_responses"]] == \
            [("pa", "context_length"), ("pb", "")], g
    print("ok")


if __name__ == "__main__":
    main()
