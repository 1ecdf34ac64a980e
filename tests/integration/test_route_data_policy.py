"""Data policy routing: providers carry zdr, region, datacenters and data_collection; a request
asks for provider.zdr, provider.data_collection "deny" or provider.allowed_data_regions, an org
may enforce zero data retention on every request; GET /endpoints/zdr lists the eligible
endpoints; a request no endpoint can serve under its policy gets a 404 naming the policy and
never reaches a provider.
"""
from sy_cluster import Cluster, http, wait_until

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pz", "Zed", zdr=True, region="europe", data_collection="deny",
                            datacenters=["eu-west-1", "eu-central-1"])
        c.add_mock_provider("pu", "Usa", region="us")
        c.add_mock_provider("pn", "Nowhere")
        c.add_model("d/m", [("pz", "echo"), ("pu", "echo"), ("pn", "echo")])
        c.add_model("u/m", [("pu", "echo"), ("pn", "echo")])
        c.wait_models(dp, key, "d/m", "u/m")
        s, b = c.admin("GET", "/api/v1/providers/pz")
        assert (b["data"]["zdr"], b["data"]["region"], b["data"]["datacenters"]) == \
            (True, "europe", ["eu-west-1", "eu-central-1"]), b

        def served_by(model, prefs, want, n=3):
            for _ in range(n):
                s, b, _ = c.chat(dp, key, {"model": model, "messages": MSGS, "provider": prefs})
                assert s == 200 and b["provider"] == want, (prefs, s, b)

        def refused(model, prefs, needle):
            s, b, _ = c.chat(dp, key, {"model": model, "messages": MSGS, "provider": prefs})
            assert s == 404 and b["error"]["code"] == 404, (prefs, s, b)
            assert needle in b["error"]["message"], (needle, b)

        served_by("d/m", {"zdr": True}, "Zed")
        served_by("d/m", {"data_collection": "deny"}, "Zed")
        served_by("d/m", {"allowed_data_regions": ["us"]}, "Usa")
        served_by("d/m", {"allowed_data_regions": ["asia", "europe"]}, "Zed")
        base = c.mock_stats()["total"]
        refused("u/m", {"zdr": True}, "data policy (zdr: zero data retention)")
        refused("d/m", {"allowed_data_regions": ["asia"]},
                "data policy (allowed_data_regions: asia)")
        refused("u/m", {"data_collection": "deny"}, "data policy (data_collection: deny)")
        assert c.mock_stats()["total"] == base, "a refused request reached a provider"
        for prefs, needle in [({"zdr": "yes"}, "provider.zdr"),
                              ({"allowed_data_regions": "us"}, "provider.allowed_data_regions")]:
            s, b, _ = c.chat(dp, key, {"model": "d/m", "messages": MSGS, "provider": prefs})
            assert s == 400 and needle in b["error"]["message"], (prefs, s, b)

        # GET /endpoints/zdr: the endpoints a ZDR request may use
        s, b, _ = http("GET", dp.url + "/api/v1/endpoints/zdr")
        assert s == 200, (s, b)
        assert [(e["model_id"], e["provider_name"]) for e in b["data"]] == [("d/m", "Zed")], b
        e = b["data"][0]
        assert e["zdr"] is True and e["region"] == "europe" and e["data_collection"] == "deny", e
        s, b, _ = http("GET", dp.url + "/api/v1/models/d/m/endpoints")
        assert {x["provider_name"]: x["region"] for x in b["data"]["endpoints"]} == \
            {"Zed": "europe", "Usa": "us", "Nowhere": None}, b

        # an org that enforces ZDR: every request of its keys, whatever they ask
        s, b = c.admin("GET", "/api/v1/orgs")
        org = b["data"][0]["id"]
        s, b = c.admin("PATCH", f"/api/v1/orgs/{org}", {"enforce_zdr": True})
        assert s == 200 and b["data"]["enforce_zdr"] is True, (s, b)

        def enforced():
            s, b, _ = c.chat(dp, key, {"model": "u/m", "messages": MSGS})
            return s == 404 and "enforced for your organization" in b["error"]["message"]
        wait_until(enforced, 10, 0.05, "the org's ZDR enforcement on the dataplane")
        base = c.mock_stats()["total"]  # requests before it arrived were served
        served_by("d/m", {}, "Zed")
        served_by("d/m", {"zdr": False, "order": ["pu"]}, "Zed", n=1)
        assert enforced()
        assert c.mock_stats()["total"] == base + 4, "refused requests reached a provider"
        s, b = c.admin("PATCH", f"/api/v1/orgs/{org}", {"enforce_zdr": False})
        assert s == 200, (s, b)
        wait_until(lambda: c.chat(dp, key, {"model": "u/m", "messages": MSGS})[0] == 200, 10,
                   0.05, "enforcement lifted")

        # the admin API refuses malformed policy fields, naming them
        for path, body, field in [
                ("/api/v1/providers/pu", {"zdr": "yes"}, "zdr"),
                ("/api/v1/providers/pu", {"region": "Europe West"}, "region"),
                ("/api/v1/providers/pu", {"datacenters": ["ok", "not ok"]}, "datacenters[1]"),
                ("/api/v1/providers/pu", {"data_collection": "maybe"}, "data_collection"),
                (f"/api/v1/orgs/{org}", {"enforce_zdr": 1}, "enforce_zdr")]:
            s, b = c.admin("PATCH", path, body)
            assert s == 400 and b["error"]["metadata"]["field"] == field, (body, s, b)
    print("ok")


if __name__ == "__main__":
    main()
