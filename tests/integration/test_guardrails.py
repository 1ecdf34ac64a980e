"""Guardrails: admin CRUD (global management keys only), assigned to orgs (all their keys) and
to single keys; a key's effective policy is the intersection of its own restrictions and every
guardrail that applies (allowed models, allowed providers, max price, zero data retention,
data regions). Refusals on /chat/completions are 403 naming the rule and the guardrail (or a
404 naming the data policy), with a usage record and no provider call; GET /models/user shows
what a key may use; the workers follow changes and deletions.
"""
from sy_cluster import Cluster, http, wait_until

MSGS = [{"role": "user", "content": "hi"}]


def models_user(dp, key):
    s, b, _ = http("GET", dp.url + "/api/v1/models/user",
                   headers={"Authorization": "Bearer " + key})
    assert s == 200, (s, b)
    return {m["id"]: m["pricing"]["prompt"] for m in b["data"]}


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A", zdr=True, region="europe")
        c.add_mock_provider("pb", "Provider B", region="us")
        c.add_model("g/one", [("pa", "echo", "0.000001", "0.000002"),
                              ("pb", "echo", "0.000003", "0.000002")])
        c.add_model("g/two", [("pb", "echo")])
        c.add_model("h/three", [("pa", "echo")])
        c.wait_models(dp, key, "g/one", "g/two", "h/three")
        s, b = c.admin("GET", "/api/v1/orgs")
        org = b["data"][0]["id"]
        s, b = c.admin("GET", "/api/v1/keys")
        khash = b["data"][0]["hash"]
        s, b = c.admin("POST", "/api/v1/keys", {"name": "other", "org_id": org})
        key2, k2hash = b["key"], b["data"]["hash"]
        everything = {"mock/echo", "g/one", "g/two", "h/three"}
        assert set(models_user(dp, key)) == everything

        # an org-wide guardrail: g/* models only
        s, b = c.admin("POST", "/api/v1/guardrails", {"name": "g only",
                                                      "allowed_models": ["g/*"],
                                                      "org_ids": [org]})
        assert s == 201, (s, b)
        g1 = b["data"]["id"]
        assert b["data"]["org_ids"] == [org] and b["data"]["enforce_zdr"] is False, b
        wait_until(lambda: set(models_user(dp, key)) == {"g/one", "g/two"}, 10, 0.05,
                   "the guardrail on the dataplane")
        assert set(models_user(dp, key2)) == {"g/one", "g/two"}
        base = c.mock_stats()["total"]
        s, b, h = c.chat(dp, key, {"model": "h/three", "messages": MSGS})
        assert s == 403 and b["error"]["metadata"]["rule"] == "allowed_models", (s, b)
        assert b["error"]["metadata"]["guardrail"] == g1 and g1 in b["error"]["message"], b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["total_cost"] == 0 and g["provider_responses"] == [], g

        # a second guardrail on one key only: the intersection (provider A, $2/M at most)
        s, b = c.admin("POST", "/api/v1/guardrails", {"name": "key one",
                                                      "allowed_providers": ["pa"],
                                                      "max_price": {"prompt": 2},
                                                      "key_hashes": [khash]})
        assert s == 201, (s, b)
        g2 = b["data"]["id"]
        wait_until(lambda: set(models_user(dp, key)) == {"g/one"}, 10, 0.05,
                   "the key's guardrail on the dataplane")
        assert models_user(dp, key)["g/one"] == "0.000001", "priced at the allowed endpoint"
        assert set(models_user(dp, key2)) == {"g/one", "g/two"}, "the other key is unaffected"
        for _ in range(3):
            s, b, _ = c.chat(dp, key, {"model": "g/one", "messages": MSGS})
            assert s == 200 and b["provider"] == "Provider A", (s, b)
        s, b, _ = c.chat(dp, key, {"model": "g/two", "messages": MSGS})
        assert s == 403 and b["error"]["metadata"] == {
            "error_type": "permission_denied", "reason": "forbidden",
            "rule": "allowed_providers", "guardrail": g2}, b
        # the key's own restriction intersects too
        s, b = c.admin("PATCH", f"/api/v1/keys/{khash}", {"allowed_models": ["g/two"]})
        wait_until(lambda: models_user(dp, key) == {}, 10, 0.05, "key + guardrails")
        s, b, _ = c.chat(dp, key, {"model": "g/one", "messages": MSGS})
        assert s == 403 and b["error"]["metadata"]["rule"] == "allowed_models", b
        assert "guardrail" not in b["error"]["metadata"], b
        s, b = c.admin("PATCH", f"/api/v1/keys/{khash}", {"allowed_models": None})

        # data policy from a guardrail: ZDR, regions
        s, b = c.admin("PATCH", f"/api/v1/guardrails/{g2}", {
            "allowed_providers": None, "max_price": None, "enforce_zdr": True})
        assert s == 200 and b["data"]["allowed_providers"] == [], (s, b)
        wait_until(lambda: set(models_user(dp, key)) == {"g/one"}, 10, 0.05, "ZDR guardrail")
        s, b, _ = c.chat(dp, key, {"model": "g/two", "messages": MSGS})
        assert s == 404 and f"enforced by guardrail {g2}" in b["error"]["message"], (s, b)
        s, b = c.admin("PATCH", f"/api/v1/guardrails/{g1}", {"allowed_data_regions": ["us"]})
        assert s == 200, (s, b)
        wait_until(lambda: models_user(dp, key2) == {"g/one": "0.000003", "g/two": "0.000001"},
                   10, 0.05, "region guardrail")
        s, b, _ = c.chat(dp, key, {"model": "g/one", "messages": MSGS})
        assert s == 404 and f"allowed_data_regions of guardrail {g1}" in b["error"]["message"], b
        assert c.mock_stats()["total"] == base + 3, "a refused request reached a provider"

        # deletion lifts the guardrail
        s, b = c.admin("DELETE", f"/api/v1/guardrails/{g2}")
        assert s == 200 and b == {"deleted": True}, (s, b)
        s, b = c.admin("DELETE", f"/api/v1/guardrails/{g1}")
        wait_until(lambda: set(models_user(dp, key)) == everything, 10, 0.05, "deleted")
        s, b = c.admin("GET", "/api/v1/guardrails")
        assert s == 200 and b["data"] == [], b

        # validation, references and scope
        for body, field in [({"allowed_models": ["g/*"]}, "name"),
                            ({"name": "x", "org_ids": ["org_nope"]}, "org_ids[0]"),
                            ({"name": "x", "key_hashes": ["ab"]}, "key_hashes[0]"),
                            ({"name": "x", "key_hashes": ["0" * 64]}, "key_hashes[0]"),
                            ({"name": "x", "max_price": {"prompt": "1"}}, "max_price.prompt"),
                            ({"name": "x", "enforce_zdr": "yes"}, "enforce_zdr"),
                            ({"name": "x", "allowed_data_regions": ["EU West"]},
                             "allowed_data_regions[0]")]:
            s, b = c.admin("POST", "/api/v1/guardrails", body)
            assert s == 400 and b["error"]["metadata"]["field"] == field, (body, s, b)
        s, b = c.admin("POST", "/api/v1/management-keys", {"name": "ops", "org_id": org})
        scoped = b["key"]
        for method, path in [("GET", "/api/v1/guardrails"), ("POST", "/api/v1/guardrails")]:
            s, b = c.admin(method, path, {"name": "mine"} if method == "POST" else None,
                           key=scoped)
            assert s == 403, (method, s, b)
        s, b = c.admin("GET", "/api/v1/audit?object_type=guardrail")
        assert [e["method"] for e in b["data"]] == ["DELETE", "DELETE", "PATCH", "PATCH",
                                                     "POST", "POST"], b
    print("ok")


if __name__ == "__main__":
    main()
