"""Reasoning on an OpenAI-compatible upstream. OpenRouter's forms (`reasoning` {effort,
max_tokens, enabled, exclude}, `include_reasoning`) go upstream as OpenAI's one
`reasoning_effort`, never as members OpenAI would refuse; the provider's `reasoning_content`
(DeepSeek's name, the mock's too) reaches the client as `reasoning`; `reasoning.exclude` (and
`include_reasoning: false`) drop it from the answer while the provider still thinks.
"""
from sy_adapters import mock_last
from sy_cluster import Cluster

MSGS = [{"role": "user", "content": "What is 2+2?"}]
THOUGHTS = "thought0 thought1 thought2 thought3"


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()

        def ask(**extra):
            s, b, _ = c.chat(dp, key, dict({"model": "mock/echo", "messages": MSGS}, **extra))
            assert s == 200, (extra, s, b)
            up = mock_last(c)["body"]
            for gone in ("reasoning", "include_reasoning"):
                assert gone not in up, (extra, up)
            return b["choices"][0]["message"], up, b["usage"]

        m, up, u = ask(reasoning={"effort": "low"})
        assert up["reasoning_effort"] == "low", up
        assert m["reasoning"] == THOUGHTS and "reasoning_content" not in m, m
        assert u["completion_tokens_details"]["reasoning_tokens"] == 4, u

        m, up, _ = ask(include_reasoning=True)
        assert up["reasoning_effort"] == "medium" and m["reasoning"] == THOUGHTS, (up, m)
        m, up, _ = ask(max_tokens=1000, reasoning={"max_tokens": 800})
        assert up["reasoning_effort"] == "high", up

        m, up, u = ask(reasoning={"effort": "high", "exclude": True})
        assert up["reasoning_effort"] == "high", up
        assert "reasoning" not in m and "reasoning_content" not in m, m
        assert u["completion_tokens_details"]["reasoning_tokens"] == 4, u  # still billed

        m, up, _ = ask(reasoning={"enabled": False})
        assert up["reasoning_effort"] == "none" and "reasoning" not in m, (up, m)
        m, up, _ = ask()
        assert "reasoning_effort" not in up and "reasoning" not in m, (up, m)
        print("ok")


if __name__ == "__main__":
    main()
