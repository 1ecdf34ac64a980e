"""A request without `model`: the key's default model serves it, else its org's (both set
through the admin API, `default_model`); with neither it is today's 400. An unknown default
is the usual unknown-model error; default_model must be a model id.
"""
from sy_cluster import Cluster, wait_until

MSGS = [{"role": "user", "content": "hi"}]


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("m/org-default", [("pa", "echo")])
        c.add_model("m/key-default", [("pa", "echo")])
        c.wait_models(dp, key, "m/org-default", "m/key-default")
        s, b = c.admin("GET", "/api/v1/keys")
        k = b["data"][0]
        org, khash = k["org_id"], k["hash"]

        s, b, _ = c.chat(dp, key, {"messages": MSGS})
        assert s == 400 and b["error"]["message"].startswith("model is required"), (s, b)

        s, b = c.admin("PATCH", f"/api/v1/orgs/{org}", {"default_model": "m/org-default"})
        assert s == 200 and b["data"]["default_model"] == "m/org-default", (s, b)
        def served():
            s, b, _ = c.chat(dp, key, {"messages": MSGS})
            return b["model"] if s == 200 else None
        assert wait_until(served, 10, 0.1, "the org's default model") == "m/org-default"

        s, b = c.admin("PATCH", f"/api/v1/keys/{khash}", {"default_model": "m/key-default"})
        assert s == 200 and b["data"]["default_model"] == "m/key-default", (s, b)
        wait_until(lambda: served() == "m/key-default", 10, 0.1, "the key's default model")
        # a model named in the request wins
        s, b, _ = c.chat(dp, key, {"model": "mock/echo", "messages": MSGS})
        assert s == 200 and b["model"] == "mock/echo", (s, b)

        s, b = c.admin("PATCH", f"/api/v1/keys/{khash}", {"default_model": None})
        assert s == 200 and b["data"]["default_model"] is None, (s, b)
        wait_until(lambda: served() == "m/org-default", 10, 0.1, "back to the org's default")

        s, b = c.admin("PATCH", f"/api/v1/orgs/{org}", {"default_model": "Not A Model"})
        assert s == 400 and "default_model" in json_text(b), (s, b)
        print("ok")


def json_text(b):
    import json
    return json.dumps(b)


if __name__ == "__main__":
    main()
