"""Key restrictions on /chat/completions: allowed_models (ids, globs, variants),
allowed_providers, ignored_providers, max_price, default provider preferences under the
request's own, allowed_ips (with and without --trusted-proxies; a spoofed X-Forwarded-For from
an untrusted peer is ignored) and allowed_referrers. Each refusal is a 403 in OpenRouter's
envelope naming the rule in metadata.rule, leaves a usage record (status 403, cost 0, no
attempt) and never reaches the provider; GET /key shows the restrictions; the admin API
refuses malformed ones with a 400 naming the field.
"""
import re

from sy_cluster import Cluster, http, wait_until

MSGS = [{"role": "user", "content": "hi"}]


def chat(c, dp, key, model, headers=None, stream=False, **extra):
    body = dict({"model": model, "messages": MSGS}, **extra)
    if stream:
        s, h, events, b = c.chat_stream(dp, key, body, headers)
        assert events is None, events  # a refusal comes before any stream
        return s, b, h
    return c.chat(dp, key, body, headers)


def restrict(c, dp, key, key_hash, **fields):
    """PATCH the key and wait until the dataplane's GET /key shows the change."""
    s, b = c.admin("PATCH", f"/api/v1/keys/{key_hash}", fields)
    assert s == 200, (s, b)
    # a list set to null reads as [] (no restriction)
    want = {k: [] if v is None and k.startswith(("allowed", "ignored")) else v
            for k, v in fields.items()}
    for k, v in want.items():
        assert b["data"][k] == v, (k, b)

    def shown():
        s2, b2, _ = http("GET", dp.url + "/api/v1/key", headers={"Authorization": "Bearer " + key})
        return s2 == 200 and all(b2["data"][k] == v for k, v in want.items())
    wait_until(shown, 10, 0.02, f"key restrictions {fields} on the dataplane")


def assert_refused(c, dp, key, res, rule):
    s, b, h = res
    assert s == 403, (rule, s, b)
    err = b["error"]
    assert err["code"] == 403 and err["metadata"]["rule"] == rule, b
    assert err["metadata"]["error_type"] == "permission_denied", b
    assert err["metadata"]["reason"] == "forbidden", b
    assert rule in err["message"], b
    gid = h["X-Generation-Id"]
    g = c.generation(dp, key, gid)
    assert g["total_cost"] == 0 and g["provider_responses"] == [], g
    wait_until(lambda: re.search(rf"access gen={gid} .* status=403 .* cost=0(\.0+)? ",
                                 dp.log()), 5, 0.05, "the 403's access line")


def served(res, provider=None):
    s, b, _ = res
    assert s == 200, (s, b)
    if provider:
        assert b["provider"] == provider, b
    return b


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        proxied = c.start_dataplane(extra=["--trusted-proxies", "127.0.0.1/32,::1"])
        c.add_mock_provider("pa", "Provider A")
        c.add_mock_provider("pb", "Provider B")
        c.add_model("other/m", [("pa", "echo", "0.000001", "0.000002"),
                                ("pb", "echo", "0.000002", "0.000002")])
        c.wait_models(dp, key, "other/m")
        c.wait_models(proxied, key, "other/m")
        s, b = c.admin("GET", "/api/v1/keys")
        key_hash = b["data"][0]["hash"]
        s, b, _ = http("GET", dp.url + "/api/v1/key", headers={"Authorization": "Bearer " + key})
        assert b["data"]["allowed_models"] == [] and b["data"]["max_price"] is None, b
        base = c.mock_stats()["total"]
        calls = 0  # requests that should have reached the mock

        # allowed_models: ids and globs; a variant is covered by its base
        restrict(c, dp, key, key_hash, allowed_models=["mock/*"])
        served(chat(c, dp, key, "mock/echo"))
        assert_refused(c, dp, key, chat(c, dp, key, "other/m"), "allowed_models")
        assert_refused(c, dp, key, chat(c, dp, key, "other/m", stream=True), "allowed_models")
        # every model of a fallback list must be allowed
        assert_refused(c, dp, key, chat(c, dp, key, "mock/echo", models=["other/m"]),
                       "allowed_models")
        restrict(c, dp, key, key_hash, allowed_models=["mock/echo"])
        served(chat(c, dp, key, "mock/echo:floor"))
        calls += 2

        # allowed_providers / ignored_providers filter the endpoints
        restrict(c, dp, key, key_hash, allowed_models=None, allowed_providers=["pb"])
        for _ in range(3):
            served(chat(c, dp, key, "other/m"), "Provider B")
        assert_refused(c, dp, key, chat(c, dp, key, "mock/echo"), "allowed_providers")
        restrict(c, dp, key, key_hash, allowed_providers=None, ignored_providers=["pb"])
        for _ in range(3):
            served(chat(c, dp, key, "other/m"), "Provider A")
        restrict(c, dp, key, key_hash, ignored_providers=["pa", "pb"])
        assert_refused(c, dp, key, chat(c, dp, key, "other/m"), "ignored_providers")
        calls += 6

        # max_price (USD per million tokens): pb's prompt price is 2/M
        restrict(c, dp, key, key_hash, ignored_providers=None, max_price={"prompt": 1.5})
        for _ in range(3):
            served(chat(c, dp, key, "other/m"), "Provider A")
        restrict(c, dp, key, key_hash, max_price={"prompt": 0.5})
        assert_refused(c, dp, key, chat(c, dp, key, "other/m"), "max_price")
        calls += 3

        # default provider preferences, under the request's own
        restrict(c, dp, key, key_hash, max_price=None,
                 provider={"order": ["pb"], "allow_fallbacks": False})
        served(chat(c, dp, key, "other/m"), "Provider B")
        served(chat(c, dp, key, "other/m", provider={"order": ["pa"]}), "Provider A")
        calls += 2

        # allowed_ips: the socket peer (127.0.0.1), never an untrusted X-Forwarded-For
        restrict(c, dp, key, key_hash, provider=None, allowed_ips=["10.0.0.0/8"])
        assert_refused(c, dp, key, chat(c, dp, key, "mock/echo"), "allowed_ips")
        restrict(c, dp, key, key_hash, allowed_ips=["203.0.113.7"])
        spoof = {"X-Forwarded-For": "203.0.113.7"}
        assert_refused(c, dp, key, chat(c, dp, key, "mock/echo", spoof), "allowed_ips")
        restrict(c, dp, key, key_hash, allowed_ips=["::1", "127.0.0.0/8"])
        served(chat(c, dp, key, "mock/echo"))
        calls += 1

        # behind a trusted proxy: the right-most untrusted X-Forwarded-For hop
        restrict(c, proxied, key, key_hash, allowed_ips=["203.0.113.0/24", "2001:db8::/32"])
        assert_refused(c, proxied, key, chat(c, proxied, key, "mock/echo"), "allowed_ips")
        served(chat(c, proxied, key, "mock/echo", {"X-Forwarded-For": "203.0.113.7"}))
        served(chat(c, proxied, key, "mock/echo",
                    {"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 127.0.0.1"}))
        served(chat(c, proxied, key, "mock/echo", {"X-Forwarded-For": "2001:db8::5"}))
        # a client's own header in front of the proxy's hop is not believed
        assert_refused(c, proxied, key,
                       chat(c, proxied, key, "mock/echo",
                            {"X-Forwarded-For": "203.0.113.7, 198.51.100.1"}), "allowed_ips")
        assert_refused(c, proxied, key,
                       chat(c, proxied, key, "mock/echo", {"X-Forwarded-For": "garbage"}),
                       "allowed_ips")
        calls += 3

        # allowed_referrers: exact origins, hosts and *.domain patterns
        restrict(c, dp, key, key_hash, allowed_ips=None,
                 allowed_referrers=["https://app.example.com", "*.corp.example"])
        assert_refused(c, dp, key, chat(c, dp, key, "mock/echo"), "allowed_referrers")
        served(chat(c, dp, key, "mock/echo", {"HTTP-Referer": "https://app.example.com/chat"}))
        served(chat(c, dp, key, "mock/echo", {"Origin": "https://team.corp.example"}))
        for bad in ({"Origin": "https://evil.example"},
                    {"Origin": "http://app.example.com"},
                    {"HTTP-Referer": "https://app.example.com.evil.example/"},
                    {"Origin": "https://corp.example"}):
            assert_refused(c, dp, key, chat(c, dp, key, "mock/echo", bad), "allowed_referrers")
        calls += 2

        assert c.mock_stats()["total"] == base + calls, (c.mock_stats(), base, calls)

        # malformed restrictions: 400 naming the field, nothing changed
        for body, field in [({"allowed_ips": ["10.0.0.1/33"]}, "allowed_ips[0]"),
                            ({"allowed_ips": ["10.0.0.1/8"]}, "allowed_ips[0]"),
                            ({"allowed_models": ["Bad Model"]}, "allowed_models[0]"),
                            ({"allowed_providers": "pa"}, "allowed_providers"),
                            ({"allowed_referrers": ["ftp://x.example"]}, "allowed_referrers[0]"),
                            ({"max_price": {"prompt": -1}}, "max_price.prompt"),
                            ({"max_price": {"tokens": 1}}, "max_price.tokens"),
                            ({"provider": {"sort": "cheapest"}}, "provider")]:
            s, b = c.admin("PATCH", f"/api/v1/keys/{key_hash}", body)
            assert s == 400 and b["error"]["metadata"]["field"] == field, (body, s, b)
        s, b = c.admin("GET", f"/api/v1/keys/{key_hash}")
        assert b["data"]["allowed_referrers"] == ["https://app.example.com", "*.corp.example"], b
        assert b["data"]["allowed_ips"] == [] and b["data"]["provider"] is None, b
    print("ok")


if __name__ == "__main__":
    main()
