"""BYOK: an org stores its own credential for a provider (sealed, write-only: never shown, not
even to the admin API); its requests to that provider use it, keep the provider's price as
their cost (the fee is test_byok_fee.py's) and are recorded with is_byok; other orgs keep the operator's credential. When the provider
refuses the org's credential (401), the operator's is tried only if the org allows it
(byok_fallback); the failed attempt shows in the generation. Scoped management keys manage
their own org's credentials; deleting the credential or the org removes it.
"""
from sy_cluster import Cluster, http, wait_until

MSGS = [{"role": "user", "content": "hi"}]
ORG_SECRET = "sk-org-own-provider-key"


def last_auth(c):
    return http("GET", f"http://127.0.0.1:{c.mock_port}/mock/last")[1]["authorization"]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("b/m", [("pa", "echo")])
        c.add_model("b/flaky", [("pa", "echo@fault=401-once")])
        c.wait_models(dp, key, "b/m", "b/flaky")
        s, b = c.admin("GET", "/api/v1/orgs")
        org = b["data"][0]["id"]
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "other"})
        other = b["data"]["id"]
        c.admin("POST", f"/api/v1/orgs/{other}/credits", {"amount": 10})
        s, b = c.admin("POST", "/api/v1/keys", {"name": "o", "org_id": other})
        other_key = b["key"]

        # the operator's credential until the org has its own
        s, b, _ = c.chat(dp, key, {"model": "b/m", "messages": MSGS})
        assert s == 200 and b["usage"]["cost"] > 0, (s, b)
        assert last_auth(c) == "Bearer secret-of-pa"

        s, b = c.admin("POST", "/api/v1/management-keys", {"name": "acme ops", "org_id": org})
        scoped = b["key"]
        s, b = c.admin("PUT", f"/api/v1/orgs/{org}/credentials/pa", {"api_key": ORG_SECRET},
                       key=scoped)
        assert s == 201, (s, b)
        assert b["data"] == {**b["data"], "id": f"{org}:pa", "has_api_key": True,
                             "disabled": False}, b
        assert ORG_SECRET not in str(b)
        s, b = c.admin("GET", f"/api/v1/orgs/{org}/credentials", key=scoped)
        assert s == 200 and [x["provider"] for x in b["data"]] == ["pa"], (s, b)
        assert ORG_SECRET not in str(b)
        s, b = c.admin("GET", f"/api/v1/orgs/{other}/credentials", key=scoped)
        assert s == 404, (s, b)
        # a new credential needs its api_key; an existing one may change only `disabled`
        for slug, body, field in [("mock", {}, "api_key"), ("mock", {"api_key": ""}, "api_key"),
                                  ("pa", {"api_key": 7}, "api_key"),
                                  ("pa", {"disabled": "no"}, "disabled")]:
            s, b = c.admin("PUT", f"/api/v1/orgs/{org}/credentials/{slug}", body)
            assert s == 400 and b["error"]["metadata"]["field"] == field, (body, s, b)
        s, b = c.admin("PUT", f"/api/v1/orgs/{org}/credentials/nope", {"api_key": "x"})
        assert s == 404, (s, b)

        def uses_own():
            s, b, h = c.chat(dp, key, {"model": "b/m", "messages": MSGS})
            return s == 200 and last_auth(c) == "Bearer " + ORG_SECRET and (b, h)
        b, h = wait_until(uses_own, 10, 0.05, "the org's credential on the dataplane")
        assert b["usage"]["cost"] > 0 and b["usage"]["is_byok"] is True, b
        s, _, events, _ = c.chat_stream(dp, key, {"model": "b/m", "messages": MSGS})
        usage = [e for e in events if '"usage"' in e and '"cost"' in e]
        assert s == 200 and usage and '"is_byok":true' in usage[-1], events
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert g["is_byok"] is True and g["total_cost"] == b["usage"]["cost"], g
        # another org keeps the operator's credential
        s, b, h = c.chat(dp, other_key, {"model": "b/m", "messages": MSGS})
        assert s == 200 and last_auth(c) == "Bearer secret-of-pa" and b["usage"]["cost"] > 0
        assert b["usage"]["is_byok"] is False, b
        assert c.generation(dp, other_key, h["X-Generation-Id"])["is_byok"] is False

        # the provider refuses the org's credential: no fallback unless the org allows it
        s, b, h = c.chat(dp, key, {"model": "b/flaky", "messages": MSGS})
        assert s == 502 and "own credential (BYOK, HTTP 401)" in b["error"]["message"], (s, b)
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [(a["status"], a["error_class"]) for a in g["provider_responses"]] == \
            [(401, "byok_auth")], g
        http("POST", f"http://127.0.0.1:{c.mock_port}/mock/reset")
        s, b = c.admin("PATCH", f"/api/v1/orgs/{org}", {"byok_fallback": True})
        assert s == 200 and b["data"]["byok_fallback"] is True, (s, b)

        def falls_back():  # each try gets a fresh 401-once
            http("POST", f"http://127.0.0.1:{c.mock_port}/mock/reset")
            s, b, h = c.chat(dp, key, {"model": "b/flaky", "messages": MSGS})
            return s == 200 and (b, h)
        b, h = wait_until(falls_back, 10, 0.1, "byok_fallback on the dataplane")
        assert last_auth(c) == "Bearer secret-of-pa" and b["usage"]["cost"] > 0, b
        g = c.generation(dp, key, h["X-Generation-Id"])
        assert [a["status"] for a in g["provider_responses"]] == [401, 200], g
        assert g["is_byok"] is False, g

        # disabled, then deleted: the operator's again
        s, b = c.admin("PUT", f"/api/v1/orgs/{org}/credentials/pa", {"disabled": True})
        assert s == 200 and b["data"]["disabled"] is True and b["data"]["has_api_key"], (s, b)
        wait_until(lambda: c.chat(dp, key, {"model": "b/m", "messages": MSGS})[0] == 200 and
                   last_auth(c) == "Bearer secret-of-pa", 10, 0.05, "disabled credential")
        s, b = c.admin("DELETE", f"/api/v1/orgs/{org}/credentials/pa", key=scoped)
        assert s == 200 and b == {"deleted": True}, (s, b)
        s, b = c.admin("DELETE", f"/api/v1/orgs/{org}/credentials/pa")
        assert s == 404, (s, b)
        s, b = c.admin("GET", "/api/v1/audit?limit=1000")
        assert ORG_SECRET not in str(b)
        routes = [e["route"] for e in b["data"] if "credentials" in e["route"]]
        assert routes == ["orgs/{id}/credentials/pa"] * 3, routes

        # an org's credentials go with it
        s, b = c.admin("PUT", f"/api/v1/orgs/{other}/credentials/pa", {"api_key": "x"})
        assert s == 201, (s, b)
        s, b = c.admin("GET", "/api/v1/keys?org_id=" + other)
        for k in b["data"]:
            c.admin("PATCH", f"/api/v1/keys/{k['hash']}", {"disabled": True})
        s, b = c.admin("DELETE", f"/api/v1/orgs/{other}")
        assert s == 200, (s, b)
        s, b = c.admin("PUT", f"/api/v1/orgs/{other}/credentials/pa", {"api_key": "x"})
        assert s == 404, (s, b)
    print("ok")


if __name__ == "__main__":
    main()
