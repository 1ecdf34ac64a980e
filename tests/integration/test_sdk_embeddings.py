"""The official `openai` npm client's embeddings.create against the dataplane: with no
encoding_format (the SDK asks for base64 and decodes it itself), with "float" and with "base64"
(strings handed over as they came), token id inputs; every form carries the mock's exact
vectors, our id (= X-Generation-Id), model, provider and the usage with its cost; a chat model
is an APIError with status 400.
"""
from sy_cluster import Cluster, run_sdk_script, sdk_step
from sy_embed import (add_embed_model, cost, floats_of, mock_vectors, same_money, tokens_of,
                      wait_embed_models)

MODEL = "openai/text-embedding-3-small"
TEXTS = ["The food was delicious", "and the waiter too"]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("ea", "Embed A")
        add_embed_model(c, MODEL, [("ea", "text-embedding-3-small")])
        wait_embed_models(dp, key, MODEL)
        res = run_sdk_script("embeddings_check.mjs", {
            "SY_BASE_URL": dp.url + "/api/v1", "SY_KEY": key, "SY_EMBED_MODEL": MODEL,
            "SY_MODEL": "mock/echo"})
        want = mock_vectors(c, TEXTS, 6)

        d = sdk_step(res, "default")
        assert d["object"] == "list" and d["model"] == MODEL and d["provider"] == "Embed A", d
        assert d["id"] == d["header_id"] and d["id"].startswith("gen-"), d
        assert [e["embedding"] for e in d["data"]] == want[:1], (d, want)
        n = tokens_of(TEXTS[0])
        assert d["usage"]["prompt_tokens"] == n and same_money(d["usage"]["cost"], cost(n)), d
        g = c.generation(dp, key, d["id"])
        assert g["kind"] == "embeddings" and same_money(g["total_cost"], cost(n)), g

        f = sdk_step(res, "float")
        assert [e["embedding"] for e in f["data"]] == want, (f, want)
        assert [e["index"] for e in f["data"]] == [0, 1], f
        assert all(e["object"] == "embedding" for e in f["data"]), f
        n2 = sum(tokens_of(t) for t in TEXTS)
        assert same_money(f["usage"]["cost"], cost(n2)), f

        b = sdk_step(res, "base64")
        assert all(isinstance(e["embedding"], str) for e in b["data"]), b
        assert [floats_of(e["embedding"]) for e in b["data"]] == want, b

        t = sdk_step(res, "tokens")
        assert [e["embedding"] for e in t["data"]] == mock_vectors(c, [[1, 2, 3], [4, 5]]), t
        assert t["usage"]["prompt_tokens"] == 5, t

        r = res["chat_model"]
        assert not r["ok"] and r["status"] == 400, r
    print("ok")


if __name__ == "__main__":
    main()
