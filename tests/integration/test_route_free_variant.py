"""A model with a paid endpoint and a free one (all prices 0, tag "free"), as the demo's
mistralai/devstral-2512. Called by its base id it used to be served 25 times in 25 by the free
endpoint at cost 0, outside the free-model limits. Now the base id is always served by the
paid endpoint and billed; only "<id>:free" reaches the free endpoint, and those requests count
against the org's free-model daily limit, which GET /key shows (used, remaining). /models lists
the base model at its paid price and the ":free" variant as its own entry at 0.
"""
from sy_cluster import Cluster, http, wait_until

MODEL = "f/dev"
MSGS = [{"role": "user", "content": "Which endpoint serves me?"}]


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        _, key, _ = c.setup_demo(credits=100)
        c.add_mock_provider("paid", "Paid")
        c.add_mock_provider("freeb", "FreeB")
        s, b = c.admin("POST", "/api/v1/models", {
            "id": MODEL, "name": "F: Dev", "context_length": 8192,
            "endpoints": [
                {"provider": "paid", "provider_model_id": "echo",
                 "pricing": {"prompt": "0.00000005", "completion": "0.00000022"}},
                {"provider": "freeb", "provider_model_id": "echo",
                 "pricing": {"prompt": "0", "completion": "0"}, "tag": "free"}]})
        assert s in (200, 201), (s, b)
        dp = c.start_dataplane(workers=2)
        c.wait_models(dp, key, MODEL, MODEL + ":free")

        # the base id: 25 of 25 on the paid endpoint, each billed
        for i in range(25):
            s, b, _ = c.chat(dp, key, {"model": MODEL, "messages": MSGS})
            assert s == 200, (i, s, b)
            assert b["provider"] == "Paid", (i, b["provider"])
            assert b["usage"]["cost"] > 0, (i, b["usage"])
            assert b["model"] == MODEL, b["model"]

        # :free reaches only the free endpoint, at 0
        for i in range(3):
            s, b, _ = c.chat(dp, key, {"model": MODEL + ":free", "messages": MSGS})
            assert s == 200, (i, s, b)
            assert b["provider"] == "FreeB", (i, b["provider"])
            assert b["usage"]["cost"] == 0, b["usage"]

        # /models: the base at its paid price, the variant as its own entry at 0
        s, b, _ = http("GET", dp.url + "/api/v1/models", headers={"Authorization": "Bearer " + key})
        assert s == 200, (s, b)
        by_id = {m["id"]: m for m in b["data"]}
        assert by_id[MODEL]["pricing"]["prompt"] == "0.00000005", by_id[MODEL]
        assert by_id[MODEL]["pricing"]["completion"] == "0.00000022", by_id[MODEL]
        assert by_id[MODEL + ":free"]["pricing"]["prompt"] == "0", by_id[MODEL + ":free"]
        assert by_id[MODEL + ":free"]["name"] == "F: Dev (free)", by_id[MODEL + ":free"]

        # GET /key: bought $100 (not the free tier, 1000 a day), 3 :free requests used today
        def key_info():
            s, b, _ = http("GET", dp.url + "/api/v1/key",
                           headers={"Authorization": "Bearer " + key})
            assert s == 200, (s, b)
            d = b["data"]
            return d if d["free_model_daily_requests"]["used"] == 3 else None
        d = wait_until(key_info, 10, 0.1, "3 free requests counted in GET /key")
        assert d["is_free_tier"] is False, d
        assert d["free_model_daily_requests"] == {"limit": 1000, "remaining": 997, "used": 3}, d

        # an org that never bought credits is on the free tier (50 a day)
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "newcomer"})
        org2 = b["data"]["id"]
        s, b = c.admin("POST", "/api/v1/keys", {"name": "k2", "org_id": org2})
        key2 = b["key"]
        def key2_info():
            s, b, _ = http("GET", dp.url + "/api/v1/key",
                           headers={"Authorization": "Bearer " + key2})
            return b["data"] if s == 200 else None
        d2 = wait_until(key2_info, 10, 0.1, "the new key on the dataplane")
        assert d2["is_free_tier"] is True, d2
        assert d2["free_model_daily_requests"] == {"limit": 50, "remaining": 50, "used": 0}, d2


if __name__ == "__main__":
    main()
