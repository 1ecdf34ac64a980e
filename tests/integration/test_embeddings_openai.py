"""POST /embeddings through an OpenAI-compatible provider (the mock): the catalog lists the
embeddings model only under GET /models?output_modalities=embeddings; the answer is OpenAI's
list (float and base64) with our id (= X-Generation-Id), model, provider and usage priced
per input token exactly; the upstream call is POST {base}/embeddings with the provider's model
id and floats asked for; strings, string arrays and token arrays, under /api/v1 and /v1;
GET /generation shows kind and api_type embeddings with the same cost; the key's usage and the
org's activity count every request exactly.
"""
from sy_adapters import mock_last
from sy_cluster import Cluster, http, wait_until
from sy_embed import (add_embed_model, cost, embed, floats_of, mock_vectors, same_money,
                      tokens_of, wait_embed_models)


def models(dp, key, query=""):
    s, b, _ = http("GET", dp.url + "/api/v1/models" + query,
                   headers={"Authorization": "Bearer " + key})
    assert s == 200, (s, b)
    assert b["total_count"] == len(b["data"]), b
    return {m["id"]: m for m in b["data"]}


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("ea", "Embed A")
        add_embed_model(c, "openai/text-embedding-3-small", [("ea", "text-embedding-3-small")])
        wait_embed_models(dp, key, "openai/text-embedding-3-small")

        # the catalog: embeddings models only when asked for (OpenRouter's default is text)
        assert set(models(dp, key)) == {"mock/echo"}
        emb = models(dp, key, "?output_modalities=embeddings")
        assert set(emb) == {"openai/text-embedding-3-small"}, emb
        arch = emb["openai/text-embedding-3-small"]["architecture"]
        assert arch["output_modalities"] == ["embeddings"], arch
        assert arch["modality"] == "text->embeddings", arch
        assert emb["openai/text-embedding-3-small"]["pricing"]["prompt"] == "0.00000002"
        assert set(models(dp, key, "?output_modalities=all")) == {
            "mock/echo", "openai/text-embedding-3-small"}
        assert set(models(dp, key, "?output_modalities=text,embeddings")) == {
            "mock/echo", "openai/text-embedding-3-small"}
        assert set(models(dp, key, "?output_modalities=image")) == set()
        assert set(models(dp, key, "?input_modalities=text&output_modalities=all")) == {
            "mock/echo", "openai/text-embedding-3-small"}
        assert set(models(dp, key, "?input_modalities=image&output_modalities=all")) == set()
        s, b, _ = http("GET", dp.url + "/api/v1/models/user?output_modalities=embeddings",
                       headers={"Authorization": "Bearer " + key})
        assert s == 200 and [m["id"] for m in b["data"]] == ["openai/text-embedding-3-small"], b

        assert c.admin("GET", "/api/v1/keys")[1]["data"][0]["usage"] == 0

        # one string, float
        text = "The quick brown fox"
        s, b, h = embed(dp, key, {"model": "openai/text-embedding-3-small", "input": text,
                                  "dimensions": 6, "user": "end-user-1"})
        assert s == 200, (s, b)
        assert b["object"] == "list" and b["id"].startswith("gen-"), b
        assert h["X-Generation-Id"] == b["id"], dict(h)
        assert b["model"] == "openai/text-embedding-3-small" and b["provider"] == "Embed A", b
        assert b["data"][0]["object"] == "embedding" and b["data"][0]["index"] == 0, b
        u = b["usage"]
        n = tokens_of(text)
        assert u["prompt_tokens"] == n and u["total_tokens"] == n, u
        assert same_money(u["cost"], cost(n)), (u, cost(n))
        last = mock_last(c)
        assert last["path"] == "/ea/v1/embeddings", last
        assert last["authorization"] == "Bearer secret-of-ea", last
        sent = last["body"]
        assert sent == {"model": "text-embedding-3-small", "input": text, "dimensions": 6,
                        "encoding_format": "float"}, sent
        want = mock_vectors(c, [text], 6)
        assert [d["embedding"] for d in b["data"]] == want, (b["data"], want)

        g = c.generation(dp, key, b["id"])
        assert g["kind"] == "embeddings" and g["api_type"] == "embeddings", g
        assert g["model"] == "openai/text-embedding-3-small", g
        assert g["tokens_prompt"] == n and g["tokens_completion"] == 0, g
        assert same_money(g["total_cost"], cost(n)), g
        assert g["streamed"] is False and g["provider_name"] == "Embed A", g
        assert [a["provider"] for a in g["provider_responses"]] == ["ea"], g
        first_cost = cost(n)

        # several strings, base64, under the /v1 alias
        texts = ["alpha", "beta gamma delta", "epsilon"]
        s, b, _ = embed(dp, key, {"model": "openai/text-embedding-3-small", "input": texts,
                                  "encoding_format": "base64"}, path="/v1/embeddings")
        assert s == 200, (s, b)
        assert mock_last(c)["body"]["encoding_format"] == "float"
        want = mock_vectors(c, texts)
        assert [d["index"] for d in b["data"]] == [0, 1, 2], b
        assert all(isinstance(d["embedding"], str) for d in b["data"]), b
        assert [floats_of(d["embedding"]) for d in b["data"]] == want, b
        n2 = sum(tokens_of(t) for t in texts)
        assert b["usage"]["prompt_tokens"] == n2, b
        assert same_money(b["usage"]["cost"], cost(n2)), b
        g = c.generation(dp, key, b["id"])
        assert g["kind"] == "embeddings" and same_money(g["total_cost"], cost(n2)), g

        # token arrays: one, and several
        s, b, _ = embed(dp, key, {"model": "openai/text-embedding-3-small",
                                  "input": [1, 2, 3, 4, 5]})
        assert s == 200 and len(b["data"]) == 1 and b["usage"]["prompt_tokens"] == 5, (s, b)
        assert [d["embedding"] for d in b["data"]] == mock_vectors(c, [1, 2, 3, 4, 5]), b
        s, b, _ = embed(dp, key, {"model": "openai/text-embedding-3-small",
                                  "input": [[1, 2], [3, 4, 5]]})
        assert s == 200 and len(b["data"]) == 2 and b["usage"]["prompt_tokens"] == 5, (s, b)
        assert mock_last(c)["body"]["input"] == [[1, 2], [3, 4, 5]]
        assert [d["embedding"] for d in b["data"]] == mock_vectors(c, [[1, 2], [3, 4, 5]]), b
        n3 = 10

        # the key's usage counts every request, exactly
        total = first_cost + cost(n2) + cost(n3)

        def charged():
            return same_money(c.admin("GET", "/api/v1/keys")[1]["data"][0]["usage"], total)
        wait_until(charged, 10, what="the key's usage to count the embeddings")

        # activity by model: the four embeddings requests, their tokens and cost
        org = c.admin("GET", "/api/v1/orgs")[1]["data"][0]["id"]
        s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by=model")
        assert s == 200, (s, b)
        rows = {r["model"]: r for r in b["data"]}
        row = rows["openai/text-embedding-3-small"]
        assert row["requests"] == 4 and row["completion_tokens"] == 0, row
        assert row["prompt_tokens"] == n + n2 + n3, row
        assert same_money(row["usage"], total), (row, total)
    print("ok")


if __name__ == "__main__":
    main()
