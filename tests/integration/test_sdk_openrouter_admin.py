"""OpenRouter's own `@openrouter/sdk` pointed at Switchyard's admin API with a management
key: apiKeys.list/create/get/update/delete and analytics.getUserActivity pass its response
validation (zero validation errors). Key objects carry every field of OpenRouter's key schema
(byok_usage*, creator_user_id, external_user, workspace_id = the org); a key is created
without org_id by an org-scoped management key (its org) and by a global one while exactly
one org exists (and refused once there are two); activity rows carry date, model,
model_permaslug, endpoint_id, provider_name and byok_usage_inference, per workspace on
request.
"""
from datetime import datetime, timezone

from sy_cluster import Cluster, run_sdk_script, sdk_step, wait_until


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        org = c.admin("GET", "/api/v1/orgs")[1]["data"][0]["id"]
        for _ in range(2):
            s, b, _ = c.chat(dp, key, {"model": "mock/echo",
                                       "messages": [{"role": "user", "content": "hi"}]})
            assert s == 200, (s, b)
        wait_until(lambda: c.admin("GET", "/api/v1/activity")[1]["data"], 10,
                   what="the generations at the controlplane")
        today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        admin_url = f"http://127.0.0.1:{c.admin_port}/api/v1"

        def check(mgmt_key):
            res = run_sdk_script("openrouter_admin_check.mjs", {
                "SY_ADMIN_URL": admin_url, "SY_MGMT_KEY": mgmt_key, "SY_DATE": today})
            listed = sdk_step(res, "list")
            assert len(listed) == 1 and listed[0]["workspaceId"] == org, listed
            assert listed[0]["byokUsage"] == 0 and listed[0]["creatorUserId"] is None, listed
            made = sdk_step(res, "create")
            assert made["key"] == "sk-sy-v1-", made
            k = made["data"]
            assert k["name"] == "sdk-made" and k["limit"] == 5, k
            assert k["limitReset"] == "monthly" and k["workspaceId"] == org, k
            assert sdk_step(res, "get") == k, res["get"]
            up = sdk_step(res, "update")
            assert up["name"] == "sdk-renamed" and up["disabled"] is True, up
            ld = sdk_step(res, "list_disabled")
            assert k["hash"] not in ld["without"] and k["hash"] in ld["with"], ld
            assert sdk_step(res, "delete") is True, res["delete"]
            rows = sdk_step(res, "activity")
            assert len(rows) == 1, rows
            r = rows[0]
            assert (r["date"], r["model"], r["modelPermaslug"]) == (
                today, "mock/echo", "mock/echo"), r
            assert r["endpointId"] == "mock/echo:mock" and r["providerName"] == "Mock", r
            assert r["requests"] == 2 and r["usage"] > 0, r
            assert r["byokUsageInference"] == 0 and r["promptTokens"] > 0, r
            assert sdk_step(res, "activity_day") == 1, res["activity_day"]
            assert sdk_step(res, "activity_workspace") == [org], res["activity_workspace"]
            s, b = c.admin("GET", f"/api/v1/keys/{k['hash']}")
            assert s == 404, (s, b)  # deleted

        check(c.admin_key)  # global key, exactly one org
        s, b = c.admin("POST", "/api/v1/management-keys", {"name": "scoped", "org_id": org})
        assert s == 201, (s, b)
        check(b["key"])     # org-scoped key

        # a second org: a global key must now name the org (workspace_id works too)
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "second"})
        other = b["data"]["id"]
        s, b = c.admin("POST", "/api/v1/keys", {"name": "x"})
        assert s == 400 and b["error"]["metadata"]["field"] == "org_id", (s, b)
        s, b = c.admin("POST", "/api/v1/keys", {"name": "x", "workspace_id": other})
        assert s == 201 and b["data"]["org_id"] == other, (s, b)
        s, b = c.admin("POST", "/api/v1/keys", {"name": "x", "workspace_id": other,
                                                "org_id": org})
        assert s == 400 and b["error"]["metadata"]["field"] == "workspace_id", (s, b)
        s, b = c.admin("GET", f"/api/v1/keys?workspace_id={other}")
        assert [k["name"] for k in b["data"]] == ["x"], b
        s, b = c.admin("GET", "/api/v1/keys?offset=1")
        assert s == 200 and len(b["data"]) == 1, b
        s, b = c.admin("GET", "/api/v1/keys?offset=-1")
        assert s == 400 and b["error"]["metadata"]["field"] == "offset", b
        s, b = c.admin("GET", "/api/v1/activity?user_id=u1")
        assert s == 400 and b["error"]["metadata"]["field"] == "user_id", b
        s, b = c.admin("GET", f"/api/v1/activity?date={today}&from={today}")
        assert s == 400 and b["error"]["metadata"]["field"] == "date", b
    print("ok")


if __name__ == "__main__":
    main()
