"""POST /embeddings through a Gemini provider (the mock): one input goes to
models/{id}:embedContent, several to :batchEmbedContents (one request each, with the model and
outputDimensionality), with x-goog-api-key; the answer is OpenAI's list with the provider's
promptTokenCount priced exactly; token ids, which Gemini cannot take, are a 400 naming input
(with no other endpoint to fall back to) and cost nothing; GET /generation shows kind
embeddings.
"""
from sy_adapters import add_provider, mock_last
from sy_cluster import Cluster
from sy_embed import (add_embed_model, cost, embed, floats_of, same_money, tokens_of,
                      wait_embed_models)

PRICE = "0.00000015"


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        add_provider(c, "gem", "gemini", "Google AI Studio")
        add_embed_model(c, "google/gemini-embedding-001", [("gem", "gemini-embedding-001")],
                        price=PRICE)
        wait_embed_models(dp, key, "google/gemini-embedding-001")

        # one input: embedContent
        s, b, h = embed(dp, key, {"model": "google/gemini-embedding-001",
                                  "input": "What is the meaning of life?", "dimensions": 5})
        assert s == 200, (s, b)
        last = mock_last(c)
        assert last["path"] == "/gem/v1beta/models/gemini-embedding-001:embedContent", last
        assert last["authorization"] == "secret-of-gem", last
        assert last["body"] == {"content": {"parts": [{"text": "What is the meaning of life?"}]},
                                "outputDimensionality": 5}, last
        assert b["provider"] == "Google AI Studio" and len(b["data"]) == 1, b
        one = b["data"][0]["embedding"]
        assert len(one) == 5 and all(-1 <= x < 1 for x in one), b
        n = tokens_of("What is the meaning of life?")
        assert b["usage"]["prompt_tokens"] == n, b
        assert same_money(b["usage"]["cost"], cost(n, PRICE)), b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["kind"] == "embeddings" and same_money(g["total_cost"], cost(n, PRICE)), g

        # several: batchEmbedContents, base64; the same text gets the same vector
        texts = ["What is the meaning of life?", "How much wood?"]
        s, b, _ = embed(dp, key, {"model": "google/gemini-embedding-001", "input": texts,
                                  "dimensions": 5, "encoding_format": "base64"})
        assert s == 200, (s, b)
        last = mock_last(c)
        assert last["path"] == \
            "/gem/v1beta/models/gemini-embedding-001:batchEmbedContents", last
        assert last["body"] == {"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": t}]},
             "outputDimensionality": 5} for t in texts]}, last
        got = [floats_of(d["embedding"]) for d in b["data"]]
        assert got[0] == one and len(got[1]) == 5 and got[1] != one, got
        n2 = sum(tokens_of(t) for t in texts)
        assert b["usage"]["prompt_tokens"] == n2, b
        assert same_money(b["usage"]["cost"], cost(n2, PRICE)), b

        # token ids: Gemini cannot take them
        s, b, h = embed(dp, key, {"model": "google/gemini-embedding-001", "input": [[1, 2]]})
        assert s == 400 and "token ids" in b["error"]["message"], (s, b)
        assert "gem" in b["error"]["message"], b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["kind"] == "embeddings" and g["total_cost"] == 0, g
        assert [a["error_class"] for a in g["provider_responses"]] == \
            ["unsupported_request"], g
    print("ok")


if __name__ == "__main__":
    main()
