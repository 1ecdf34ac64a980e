"""The dataplane's read-only endpoints and HTTP edges, against the real controlplane:
/models, /models/{author}/{slug}/endpoints, /providers, /key, /generation, /credits, /health,
/ready under /api/v1 and the /v1 alias, field by field against the shapes OpenRouter's SDK
validates; 404 for unknown paths and models, 405 with Allow for wrong methods, 413 for an
oversized body; and no credential or internal address in any response.
"""
import http.client as hc
import json
import sys

from sy_cluster import Cluster, http, wait_until

SECRET = "mock-provider-secret"


def raw(port, method, path, body=b"", headers=None):
    """(status, headers, body bytes) on a fresh connection."""
    c = hc.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()


def is_error(body, code):
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert body["error"]["code"] == code and body["error"]["message"], body


def check_model(m):
    for f in ("id", "canonical_slug", "name", "description"):
        assert isinstance(m[f], str), (f, m)
    assert isinstance(m["created"], int) and isinstance(m["context_length"], int), m
    a = m["architecture"]
    assert a["modality"] == "text->text" and a["input_modalities"] == ["text"], a
    assert a["output_modalities"] == ["text"] and "instruct_type" in a, a
    for f in ("prompt", "completion", "request", "input_cache_read", "input_cache_write"):
        assert isinstance(m["pricing"][f], str), (f, m["pricing"])
    tp = m["top_provider"]
    assert tp["is_moderated"] is False and "context_length" in tp, tp
    assert m["per_request_limits"] is None and isinstance(m["supported_parameters"], list), m
    assert m["links"]["details"] == f"/api/v1/models/{m['id']}/endpoints", m
    assert "default_parameters" in m and "supported_voices" in m, m


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, key, key_hash = c.setup_demo()
        s, b = c.admin("POST", "/api/v1/providers", {
            "slug": "second", "name": "Second Cloud", "adapter": "openai",
            "base_url": "http://127.0.0.1:9/v1", "api_key": "second-secret"})
        assert s in (200, 201), (s, b)
        s, b = c.admin("POST", "/api/v1/models", {
            "id": "acme/big", "name": "Acme Big", "context_length": 65536,
            "description": "A big one",
            "endpoints": [
                {"provider": "second", "provider_model_id": "big-1", "quantization": "fp8",
                 "max_completion_tokens": 2048,
                 "pricing": {"prompt": "0.000005", "completion": "0.00001"}},
                {"provider": "mock", "provider_model_id": "echo",
                 "pricing": {"prompt": "0.000002", "completion": "0.000004",
                             "input_cache_read": "0.0000005"}}]})
        assert s in (200, 201), (s, b)
        dp = c.start_dataplane(workers=1, extra=["--max-body-kb", "4"])
        auth = {"Authorization": "Bearer " + key}
        wait_until(lambda: len(http("GET", dp.url + "/api/v1/models")[1]["data"]) == 2, 5,
                   what="catalog on the worker")

        bodies = []
        # /models, same under /v1
        s, b, h = http("GET", dp.url + "/api/v1/models")
        assert s == 200 and h["Content-Type"] == "application/json", (s, h)
        bodies.append(b)
        assert [m["id"] for m in b["data"]] == ["acme/big", "mock/echo"], b
        assert b["total_count"] == 2 and b["links"] == {"next": None}, b
        for m in b["data"]:
            check_model(m)
        big = b["data"][0]
        assert big["pricing"]["prompt"] == "0.000002", big  # the cheapest endpoint's prices
        assert big["pricing"]["input_cache_read"] == "0.0000005", big
        assert big["pricing"]["request"] == "0", big
        assert big["description"] == "A big one" and big["context_length"] == 65536, big
        s2, b2, _ = http("GET", dp.url + "/v1/models")
        assert s2 == 200 and b2 == b

        # /models/{author}/{slug}/endpoints
        s, b, _ = http("GET", dp.url + "/api/v1/models/acme/big/endpoints")
        assert s == 200, (s, b)
        bodies.append(b)
        d = b["data"]
        assert d["id"] == "acme/big" and d["name"] == "Acme Big", d
        assert isinstance(d["created"], int) and d["description"] == "A big one", d
        # the tokenizer as /models shows it ("Other" when the catalog names none)
        assert d["architecture"]["tokenizer"] == "Other", d
        eps = d["endpoints"]
        assert [e["provider_name"] for e in eps] == ["Second Cloud", "Mock"], eps
        e = eps[0]
        assert e["name"] == "Second Cloud | acme/big" and e["tag"] == "second", e
        assert e["model_id"] == "acme/big" and e["model_name"] == "Acme Big", e
        assert e["quantization"] == "fp8" and e["max_completion_tokens"] == 2048, e
        assert e["context_length"] == 65536 and e["pricing"]["prompt"] == "0.000005", e
        assert e["status"] == 0 and e["max_prompt_tokens"] is None, e
        for f in ("uptime_last_30m", "latency_last_30m", "throughput_last_30m"):
            assert e[f] is None, (f, e)
        assert eps[1]["quantization"] is None and eps[1]["max_completion_tokens"] is None
        s, b, _ = http("GET", dp.url + "/api/v1/models/acme/nope/endpoints")
        assert s == 404, (s, b)
        is_error(b, 404)
        assert "acme/nope" in b["error"]["message"], b

        # /providers
        s, b, _ = http("GET", dp.url + "/api/v1/providers")
        assert s == 200, (s, b)
        bodies.append(b)
        assert b["data"] == [
            {"name": "Mock", "slug": "mock", "privacy_policy_url": None,
             "terms_of_service_url": None, "status_page_url": None},
            {"name": "Second Cloud", "slug": "second", "privacy_policy_url": None,
             "terms_of_service_url": None, "status_page_url": None}], b

        # /key
        s, b, _ = http("GET", dp.url + "/api/v1/key", headers=auth)
        assert s == 200, (s, b)
        bodies.append(b)
        k = b["data"]
        assert k["name"] == "k1" and k["label"].startswith("sk-sy-v1-") and "..." in k["label"], k
        assert k["limit"] is None and k["limit_remaining"] is None and k["limit_reset"] is None
        assert k["is_management_key"] is False and k["is_free_tier"] is False, k
        assert k["expires_at"] is None and k["disabled"] is False and k["org_id"] == org, k
        for f in ("usage", "usage_daily", "usage_weekly", "usage_monthly", "byok_usage"):
            assert isinstance(k[f], (int, float)), (f, k)
        assert isinstance(k["rate_limit"]["requests"], int), k

        # /generation: 400 without id, 404 unknown
        s, b, _ = http("GET", dp.url + "/api/v1/generation", headers=auth)
        assert s == 400 and "'id'" in b["error"]["message"], (s, b)
        s, b, _ = http("GET", dp.url + "/api/v1/generation?id=gen-0-nothing", headers=auth)
        assert s == 404, (s, b)
        is_error(b, 404)

        # /credits: the org's credits (setup_demo gives 100 USD), nothing used yet
        s, b, _ = http("GET", dp.url + "/api/v1/credits", headers=auth)
        assert s == 200 and b["data"] == {"total_credits": 100.0, "total_usage": 0.0}, (s, b)

        # health and readiness at the top level and under the prefixes
        for p in ("/health", "/api/v1/health", "/v1/health"):
            s, b, _ = http("GET", dp.url + p)
            assert s == 200 and b == {"status": "ok"}, (p, s, b)
        s, b, _ = http("GET", dp.url + "/ready")
        assert s == 200 and b["status"] == "ready" and b["seq"] > 0, b

        # unknown paths and wrong methods
        for p in ("/nope", "/api/v1/nope", "/api/v2/models", "/api/v1/models/acme/big",
                  "/api/v1/models/a/b/c/endpoints"):
            s, b, _ = http("GET", dp.url + p)
            assert s == 404, (p, s, b)
            is_error(b, 404)
        s, h, body = raw(dp.port, "DELETE", "/api/v1/models")
        assert s == 405 and h["Allow"] == "GET, HEAD", (s, dict(h))
        is_error(json.loads(body), 405)
        s, h, body = raw(dp.port, "GET", "/api/v1/chat/completions")
        assert s == 405 and h["Allow"] == "POST", (s, dict(h))
        s, h, body = raw(dp.port, "HEAD", "/api/v1/models")
        assert s == 200 and body == b"", s

        # body cap: 413 by Content-Length and for a chunked upload, nothing else happens
        big_body = json.dumps({"model": "mock/echo",
                               "messages": [{"role": "user", "content": "x" * 8000}]}).encode()
        s, h, body = raw(dp.port, "POST", "/api/v1/chat/completions", big_body,
                         {**auth, "Content-Type": "application/json"})
        assert s == 413, (s, body)
        is_error(json.loads(body), 413)

        def chunks():
            for i in range(0, len(big_body), 1000):
                yield big_body[i:i + 1000]
        cc = hc.HTTPConnection("127.0.0.1", dp.port, timeout=10)
        cc.request("POST", "/api/v1/chat/completions", body=chunks(),
                   headers={**auth, "Content-Type": "application/json"},
                   encode_chunked=True)
        r = cc.getresponse()
        assert r.status == 413, r.status
        is_error(json.loads(r.read()), 413)
        cc.close()
        s, b, _ = http("GET", dp.url + "/health")  # the worker is fine
        assert s == 200

        # nothing secret anywhere
        text = json.dumps(bodies)
        for needle in (SECRET, "second-secret", "127.0.0.1:9", key_hash, "api_key", "base_url"):
            assert needle not in text, needle
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
