"""The catalog endpoints' queries (dataplane/dp_catalog_query.c): GET /models with q,
category, supported_parameters, context, model_authors and offset/limit paging (total_count,
links.next followed to the end), GET /models/count, GET /model/{author}/{slug} (a variant
resolves to its base model), GET /models/user filtered by the key's restrictions and paged
the same way, GET /auth/key as /key, the tokenizer identical in /models and /endpoints, and
OpenRouter's other filters refused with a 400 naming them. Then @openrouter/sdk's
models.list (filters, paging), models.count, models.get and models.listForUser validate the
same answers (zero validation errors).
"""
import urllib.parse

from sy_cluster import Cluster, http, run_sdk_script, sdk_step, wait_until

MODELS = [  # id, categories, supported_parameters, context
    ("alpha/coder", ["programming"], ["tools", "temperature"], 64000),
    ("alpha/poet", ["roleplay"], ["temperature"], 8000),
    ("beta/sci", ["science", "programming"], ["tools", "temperature", "seed"], 200000),
    ("beta/tiny", [], [], 4000),
    ("gamma/legal", ["legal"], ["temperature"], 32000),
]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        for mid, cats, params, ctx in MODELS:
            s, b = c.admin("POST", "/api/v1/models", {
                "id": mid, "name": mid.upper(), "description": f"The {mid} model",
                "context_length": ctx, "categories": cats, "supported_parameters": params,
                "tokenizer": "Llama3" if mid == "alpha/coder" else None,
                "endpoints": [{"provider": "mock", "provider_model_id": "echo",
                               "pricing": {"prompt": "0.000001", "completion": "0.000002"}}]})
            assert s == 201, (s, b)
        ids = [m[0] for m in MODELS]
        c.wait_models(dp, key, *ids)
        auth = {"Authorization": "Bearer " + key}

        def get(path, **query):
            url = dp.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
            return http("GET", url, headers=auth)

        def listed(path="/api/v1/models", **query):
            s, b, _ = get(path, **query)
            assert s == 200, (s, b, query)
            return [m["id"] for m in b["data"]], b["total_count"], b["links"]["next"]

        everything = sorted(ids + ["mock/echo"])
        assert listed() == (everything, 6, None)
        assert listed(q="CODER")[0] == ["alpha/coder"]
        assert listed(q="the beta")[0] == ["beta/sci", "beta/tiny"]  # the description
        assert listed(category="programming")[0] == ["alpha/coder", "beta/sci"]
        assert listed(category="finance")[:2] == ([], 0)
        assert listed(supported_parameters="tools,temperature")[0] == [
            "alpha/coder", "beta/sci"]
        assert listed(supported_parameters="seed")[0] == ["beta/sci"]
        assert listed(context=32000)[0] == ["alpha/coder", "beta/sci", "gamma/legal"]
        assert listed(model_authors="gamma,alpha")[0] == [
            "alpha/coder", "alpha/poet", "gamma/legal"]
        # paging: links.next is followed to the end, every model once
        seen, path, query = [], "/api/v1/models", {"limit": 2}
        while True:
            page, total, nxt = listed(path, **query)
            assert total == 6 and len(page) <= 2, (page, total)
            seen += page
            if not nxt:
                break
            u = urllib.parse.urlparse(nxt)
            path, query = u.path, dict(urllib.parse.parse_qsl(u.query))
        assert seen == everything, seen
        # the filters travel with the next link, on the /v1 alias too
        page, total, nxt = listed("/v1/models", q="a", category="programming", limit=1)
        assert (page, total) == (["alpha/coder"], 2), (page, total)
        assert nxt == "/v1/models?q=a&category=programming&offset=1&limit=1", nxt
        assert listed(offset=5, limit=3)[0] == ["mock/echo"]

        # count, with the same filters
        s, b, _ = get("/api/v1/models/count")
        assert s == 200 and b == {"data": {"count": 6}}, b
        s, b, _ = get("/api/v1/models/count", category="programming")
        assert b == {"data": {"count": 2}}, b

        # refused and malformed queries name the parameter
        for query, word in (({"sort": "newest"}, "sort"), ({"max_price": "1"}, "max_price"),
                            ({"zdr": "true"}, "zdr"), ({"limit": "0"}, "limit"),
                            ({"limit": "x"}, "limit"), ({"offset": "-1"}, "offset")):
            s, b, _ = get("/api/v1/models", **query)
            assert s == 400 and word in b["error"]["message"], (query, s, b)

        # one model; a variant resolves to its base; the tokenizer as /endpoints has it
        s, b, _ = get("/api/v1/model/alpha/coder")
        assert s == 200 and b["data"]["id"] == "alpha/coder", b
        assert b["data"]["architecture"]["tokenizer"] == "Llama3", b
        s, b2, _ = get("/api/v1/model/alpha/coder:free")
        assert s == 200 and b2["data"] == b["data"], b2
        s, b, _ = get("/api/v1/model/alpha/nope")
        assert s == 404 and "alpha/nope" in b["error"]["message"], b
        for mid in ("alpha/coder", "beta/tiny"):
            _, m, _ = get(f"/api/v1/model/{mid}")
            _, e, _ = get(f"/api/v1/models/{mid}/endpoints")
            assert (m["data"]["architecture"]["tokenizer"] ==
                    e["data"]["architecture"]["tokenizer"]), (m, e)
        assert m["data"]["architecture"]["tokenizer"] == "Other", m

        # /auth/key is /key
        s1, k1, _ = get("/api/v1/key")
        s2, k2, _ = get("/api/v1/auth/key")
        assert s1 == s2 == 200 and k1 == k2, (k1, k2)

        # /models/user: the key's restrictions, filtered and paged like /models
        s, keys = c.admin("GET", "/api/v1/keys")
        h = keys["data"][0]["hash"]
        s, b = c.admin("PATCH", f"/api/v1/keys/{h}", {"allowed_models": ["alpha/*"]})
        assert s == 200, (s, b)

        def user_models():
            return listed("/api/v1/models/user")[0]
        wait_until(lambda: user_models() == ["alpha/coder", "alpha/poet"], 10,
                   what="the restriction on the dataplane")
        assert listed("/api/v1/models/user", q="poet") == (["alpha/poet"], 1, None)
        assert listed("/api/v1/models/user", limit=1) == (
            ["alpha/coder"], 2, "/api/v1/models/user?offset=1&limit=1")
        s, b = c.admin("PATCH", f"/api/v1/keys/{h}", {"allowed_models": []})
        assert s == 200, (s, b)
        wait_until(lambda: len(user_models()) == 6, 10, what="the restriction lifted")

        res = run_sdk_script("openrouter_catalog_check.mjs", {
            "SY_BASE_URL": dp.url + "/api/v1", "SY_KEY": key})
        lst = sdk_step(res, "list_filtered")
        assert lst == {"ids": ["alpha/coder", "beta/sci"], "total": 2, "next": None}, lst
        pages = sdk_step(res, "list_paged")
        assert pages["ids"] == everything and pages["pages"] == 3, pages
        assert sdk_step(res, "count") == 6, res["count"]
        got = sdk_step(res, "get")
        assert got == {"id": "beta/sci", "tokenizer": "Other", "context": 200000}, got
        assert sdk_step(res, "user")["total"] == 6, res["user"]
    print("ok")


if __name__ == "__main__":
    main()
