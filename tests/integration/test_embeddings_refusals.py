"""What /embeddings refuses, each with a precise status and message and no upstream call:
every field it does not know (400 naming it), a bad input, dimensions or encoding_format, a
chat model on /embeddings and an embeddings model on /chat/completions; what the admin API
refuses for embeddings models (other outputs beside embeddings, a completion price, an
Anthropic endpoint); and the money rules chat follows: the org is debited exactly what the
answers cost and the audit agrees, the key's requests-per-minute counts embeddings and chats
alike, a key limit (402) and an org budget (403) stop embeddings, an org without credits gets
402.
"""
from sy_adapters import add_provider
from sy_cluster import Cluster, http, wait_until
from sy_embed import add_embed_model, cost, embed, same_money, tokens_of, wait_embed_models
import sy_money as M

MODEL = "e/small"

BAD = [
    ({"model": MODEL, "input": "x", "messages": []}, "messages is not supported"),
    ({"model": MODEL, "input": "x", "stream": True}, "stream is not supported"),
    ({"model": MODEL, "input": "x", "models": [MODEL]}, "models is not supported"),
    ({"model": MODEL}, "input is required"),
    ({"input": "x"}, "model is required"),
    ({"model": MODEL, "input": ""}, "input must not be an empty string"),
    ({"model": MODEL, "input": []}, "input must not be an empty array"),
    ({"model": MODEL, "input": ["a", 3]}, "input[1] must be a string"),
    ({"model": MODEL, "input": [[1], "a"]}, "input[1] must be a token id array"),
    ({"model": MODEL, "input": [[1], []]}, "input[1] must not be empty"),
    ({"model": MODEL, "input": [1, -2]}, "input[1] must be a non-negative integer"),
    ({"model": MODEL, "input": {"text": "x"}}, "input must be a string, an array"),
    ({"model": MODEL, "input": ["x"] * 2049}, "at most 2048"),
    ({"model": MODEL, "input": "x", "dimensions": 0}, "dimensions must be a positive"),
    ({"model": MODEL, "input": "x", "dimensions": "8"}, "dimensions must be a positive"),
    ({"model": MODEL, "input": "x", "encoding_format": "int8"}, "encoding_format must be"),
    ({"model": MODEL, "input": "x", "user": 7}, "user must be a string"),
    ({"model": MODEL, "input": "x", "provider": {"sort": "fastest"}}, "provider.sort"),
    ({"model": "mock/echo", "input": "x"}, "does not make embeddings"),
    ("[1, 2]", "request body must be a JSON object"),
    ("{\"model\": ", "request body is not valid JSON"),
]


def until_refused(dp, key, status, limit=40):
    """Embeddings of "a" (1 token) until the first answer with status; returns its body."""
    for _ in range(limit):
        s, b, _ = embed(dp, key, {"model": MODEL, "input": "a"})
        if s == status:
            return b
        assert s == 200, (s, b)
    raise AssertionError(f"no {status} after {limit} requests")


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        org = c.admin("GET", "/api/v1/orgs")[1]["data"][0]["id"]
        c.add_mock_provider("ea", "Embed A")
        add_embed_model(c, MODEL, [("ea", "emb")])
        wait_embed_models(dp, key, MODEL)
        before = c.mock_stats()

        for body, want in BAD:
            s, b, _ = embed(dp, key, body)
            assert s == 400 and want in b["error"]["message"], (body, s, b)
        s, b, _ = c.chat(dp, key, {"model": MODEL, "messages": [{"role": "user",
                                                                 "content": "hi"}]})
        assert s == 400 and "use POST /embeddings" in b["error"]["message"], (s, b)
        s, b, _ = http("GET", dp.url + "/api/v1/embeddings",
                       headers={"Authorization": "Bearer " + key})
        assert s == 405, (s, b)
        s, b, _ = embed(dp, "sk-or-v1-" + "0" * 64, {"model": MODEL, "input": "x"})
        assert s == 401, (s, b)
        assert c.mock_stats() == before, "a refused request reached the provider"

        # the catalog's rules for embeddings models
        add_provider(c, "anth", "anthropic")
        for eps, out, field in (
                ([("ea", "emb", "0")], ["embeddings", "text"], "output_modalities"),
                ([("ea", "emb", "0.000001")], ["embeddings"], "endpoints[0].pricing.completion"),
                ([("anth", "emb", "0")], ["embeddings"], "endpoints[0].provider")):
            s, b = c.admin("POST", "/api/v1/models", {
                "id": "e/bad", "name": "bad", "output_modalities": out, "endpoints": [
                    {"provider": p, "provider_model_id": m,
                     "pricing": {"prompt": "0.00000002", "completion": cp}}
                    for p, m, cp in eps]})
            assert s == 400 and b["error"]["metadata"]["field"] == field, (eps, s, b)
        s, b = c.admin("POST", "/api/v1/models", {"id": "e/bad", "name": "bad",
                                                  "output_modalities": ["vectors"],
                                                  "endpoints": [{"provider": "ea",
                                                                 "provider_model_id": "x",
                                                                 "pricing": {"prompt": "0",
                                                                             "completion": "0"}}]})
        assert s == 400 and b["error"]["metadata"]["field"] == "output_modalities[0]", (s, b)
        assert "embeddings" in b["error"]["message"], b

        # money: served requests are debited exactly, the audit agrees
        texts = ["one", "two three four five", "six seven"]
        total = 0
        for t in texts:
            s, b, _ = embed(dp, key, {"model": MODEL, "input": t})
            assert s == 200, (s, b)
            total += cost(tokens_of(t))
        m = M.wait_settled(c, org, posted=total)
        assert same_money(m["debits_posted"], total), (m, total)
        rc, out = M.audit(c)
        assert rc == 0, out

        # rate limits: rpm counts embeddings and chats alike
        h = c.admin("GET", "/api/v1/keys")[1]["data"][0]["hash"]
        M.wait_minute_start()
        s, b = c.admin("PATCH", f"/api/v1/keys/{h}", {"rpm": 2})
        assert s == 200, (s, b)
        wait_until(lambda: http("GET", dp.url + "/api/v1/key",
                                headers={"Authorization": "Bearer " + key})[1]["data"]
                   ["rate_limit"]["requests"] == 2, 10, 0.05, what="rpm on the dataplane")
        assert embed(dp, key, {"model": MODEL, "input": "a"})[0] == 200
        assert c.chat(dp, key, M.body())[0] == 200
        s, b, hd = embed(dp, key, {"model": MODEL, "input": "a"})
        assert s == 429 and hd["Retry-After"], (s, b)

        # a key limit and an org budget stop embeddings as they stop chats
        s, b = c.admin("POST", "/api/v1/keys", {"name": "capped", "org_id": org,
                                                "limit": 0.0000001})
        assert s == 201, (s, b)
        k3 = b["key"]
        M.wait_key(dp, k3)
        assert until_refused(dp, k3, 402)["error"]["metadata"]["reason"] == "key_limit_exceeded"
        s, b = c.admin("PUT", f"/api/v1/orgs/{org}/budgets/lifetime", {"limit_usd": 1})
        assert s in (200, 201), (s, b)
        spent = M.wait_settled(c, org)["debits_posted"]
        s, b = c.admin("PUT", f"/api/v1/orgs/{org}/budgets/lifetime",
                       {"limit_usd": round(spent + 0.0000001, 10)})
        assert s in (200, 201), (s, b)
        s, b = c.admin("POST", "/api/v1/keys", {"name": "k4", "org_id": org})
        k4 = b["key"]
        M.wait_key(dp, k4)
        assert until_refused(dp, k4, 403)["error"]["metadata"]["budget"] == "lifetime"

        # an org without credits: 402
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "broke"})
        broke = b["data"]["id"]
        s, b = c.admin("POST", "/api/v1/keys", {"name": "k2", "org_id": broke})
        k2 = b["key"]
        wait_until(lambda: http("GET", dp.url + "/api/v1/key",
                                headers={"Authorization": "Bearer " + k2})[0] == 200, 10)
        s, b, hd = embed(dp, k2, {"model": MODEL, "input": "a"})
        assert s == 402, (s, b)
        g = c.generation(dp, k2, hd["X-Generation-Id"])
        assert g["kind"] == "embeddings" and g["total_cost"] == 0, g
    print("ok")


if __name__ == "__main__":
    main()
