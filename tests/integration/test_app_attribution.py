"""App attribution: the HTTP-Referer and X-Title (or X-OpenRouter-Title) of a chat request are
recorded on its generation — GET /generation shows http_referer, origin and app_title — and
count per app in the admin API's activity (group_by=app) and rankings (GET /rankings: the top
models and apps by tokens in the current day, week or month, limit, the org scope).
"""
from sy_cluster import Cluster, wait_until

MSGS = [{"role": "user", "content": "hello"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("t/long", [("pa", "echo@tokens=40")])
        c.wait_models(dp, key, "t/long")
        org = c.admin("GET", "/api/v1/orgs")[1]["data"][0]["id"]

        calls = [  # model, headers, times; mock/echo answers 16 tokens, t/long 40
            ("mock/echo", {"HTTP-Referer": "https://a.example", "X-Title": "App A"}, 3),
            ("t/long", {"HTTP-Referer": "https://b.example",
                        "X-OpenRouter-Title": "App B"}, 2),
            ("mock/echo", {"HTTP-Referer": "https://c.example"}, 1),
            ("t/long", {}, 1),
        ]
        gens = []
        for model, headers, n in calls:
            for _ in range(n):
                s, b, h = c.chat(dp, key, {"model": model, "messages": MSGS}, headers)
                assert s == 200, (s, b)
                gens.append((h["X-Generation-Id"], headers))
        for gid, headers in gens:
            g = c.generation(dp, key, gid)
            assert g["http_referer"] == headers.get("HTTP-Referer"), g
            assert g["origin"] == headers.get("HTTP-Referer", ""), g
            title = headers.get("X-Title") or headers.get("X-OpenRouter-Title")
            assert g["app_title"] == title, g
        # X-Title wins over X-OpenRouter-Title when both come
        s, b, h = c.chat(dp, key, {"model": "mock/echo", "messages": MSGS},
                         {"X-Title": "First", "X-OpenRouter-Title": "Second"})
        assert c.generation(dp, key, h["X-Generation-Id"])["app_title"] == "First"
        total = len(gens) + 1
        wait_until(lambda: sum(r["requests"] for r in c.admin(
            "GET", "/api/v1/activity?group_by=day")[1]["data"]) == total, 10,
            what="every generation at the controlplane")

        s, b = c.admin("GET", "/api/v1/activity?group_by=app")
        assert s == 200 and b["group_by"] == "app", (s, b)
        apps = {r["app"]: (r["requests"], r["completion_tokens"]) for r in b["data"]}
        assert apps == {"App A": (3, 48), "App B": (2, 80), "https://c.example": (1, 16),
                        None: (1, 40), "First": (1, 16)}, apps
        s, b = c.admin("GET", "/api/v1/activity?group_by=provider")
        provs = {r["provider"]: (r["provider_name"], r["requests"]) for r in b["data"]}
        assert provs == {"mock": ("Mock", 5), "pa": ("Provider A", 3)}, provs

        for period in ("day", "week", "month", None):
            q = f"?period={period}" if period else ""
            s, b = c.admin("GET", "/api/v1/rankings" + q)
            assert s == 200 and b["period"] == (period or "week"), (s, b)
            models = [(m["model"], m["tokens"], m["requests"]) for m in b["models"]]
            prompt = {m["model"]: m["prompt_tokens"] for m in b["models"]}
            assert models == [("t/long", 3 * 40 + prompt["t/long"], 3),
                              ("mock/echo", 5 * 16 + prompt["mock/echo"], 5)], b
            assert [a["app"] for a in b["apps"]] == [
                "App B", "App A", "First", "https://c.example"], b
            assert b["apps"][0]["tokens"] == 80 + b["apps"][0]["prompt_tokens"], b
            assert all(a["usage"] > 0 for a in b["apps"]), b
        s, b = c.admin("GET", "/api/v1/rankings?period=day&limit=1")
        assert [m["model"] for m in b["models"]] == ["t/long"], b
        assert [a["app"] for a in b["apps"]] == ["App B"], b
        for q, field in (("period=year", "period"), ("limit=0", "limit"),
                         ("limit=101", "limit"), ("org_id=a/b", "org_id")):
            s, b = c.admin("GET", "/api/v1/rankings?" + q)
            assert s == 400 and b["error"]["metadata"]["field"] == field, (q, s, b)

        # an org-scoped key ranks its own org only
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "other"})
        other = b["data"]["id"]
        s, b = c.admin("POST", "/api/v1/management-keys", {"name": "o", "org_id": other})
        scoped = b["key"]
        s, b = c.admin("GET", "/api/v1/rankings", key=scoped)
        assert s == 200 and b["org_id"] == other and b["models"] == [], (s, b)
        s, b = c.admin("GET", f"/api/v1/rankings?org_id={org}", key=scoped)
        assert s == 403, (s, b)
        s, b = c.admin("GET", f"/api/v1/rankings?org_id={org}")
        assert s == 200 and len(b["models"]) == 2, b
    print("ok")


if __name__ == "__main__":
    main()
