"""Key restrictions hold on every skin, not only on /chat/completions: a key whose
allowed_models leaves out the model, and one whose allowed_ips leaves out the caller, are
refused on /messages, /responses, /completions and /embeddings with a 403 in that skin's own
envelope naming the rule; each refusal leaves its usage record (cost 0, no provider attempt)
and the provider is never called; the same key is served for a model it may use.
"""
import re

from sy_cluster import Cluster, http, wait_until
from sy_embed import add_embed_model, wait_embed_models

EMBED = "mock/embed-small"


def calls(dp, key, model, embed_model):
    """One request per skin: (name, status, body, headers)."""
    xkey, auth = {"x-api-key": key}, {"Authorization": "Bearer " + key}
    out = []
    for name, path, body, hdrs in (
            ("messages", "/api/v1/messages", {"model": model, "max_tokens": 8, "messages": [
                {"role": "user", "content": "hi"}]}, xkey),
            ("responses", "/api/v1/responses", {"model": model, "input": "hi"}, auth),
            ("completions", "/api/v1/completions", {"model": model, "prompt": "hi"}, auth),
            ("embeddings", "/api/v1/embeddings", {"model": embed_model, "input": "hi"}, auth)):
        s, b, h = http("POST", dp.url + path, body, hdrs)
        out.append((name, s, b, h))
    return out


def refusal_message(name, b):
    """The message of a skin's error envelope, checking the envelope's shape."""
    if name == "messages":
        assert b["type"] == "error" and b["error"]["type"] == "permission_error", b
        return b["error"]["message"]
    if name == "responses":
        assert set(b["error"]) == {"message", "type", "param", "code"}, b
        return b["error"]["message"]
    err = b["error"]  # OpenRouter's envelope: the rule in metadata too
    assert err["code"] == 403 and err["metadata"]["error_type"] == "permission_denied", b
    return err["message"] + " " + err["metadata"]["rule"]


def restrict(c, dp, key, key_hash, **fields):
    s, b = c.admin("PATCH", f"/api/v1/keys/{key_hash}", fields)
    assert s == 200, (s, b)

    want = {k: [] if v is None else v for k, v in fields.items()}  # null reads as []

    def shown():
        s2, b2, _ = http("GET", dp.url + "/api/v1/key", headers={"Authorization": "Bearer " + key})
        if s2 == 403:  # allowed_ips leaves this caller out: GET /key is refused too
            return "allowed_ips" in b2["error"]["message"]
        return s2 == 200 and all(b2["data"][k] == v for k, v in want.items())
    wait_until(shown, 10, 0.02, f"key restrictions {fields} on the dataplane")


def mock_requests(c):
    s, b, _ = http("GET", f"http://127.0.0.1:{c.mock_port}/mock/stats")
    assert s == 200, (s, b)
    return b["total"]


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, key, key_hash = c.setup_demo()
        c.add_model("mock/other", [("mock", "echo")])
        add_embed_model(c, EMBED, [("mock", "emb")])
        add_embed_model(c, "mock/embed-other", [("mock", "emb")])
        dp = c.start_dataplane()
        c.wait_models(dp, key, "mock/echo", "mock/other")
        wait_embed_models(dp, key, EMBED, "mock/embed-other")

        # allowed: every skin is served for a model the key may use
        restrict(c, dp, key, key_hash, allowed_models=["mock/echo", EMBED])
        for name, s, b, _ in calls(dp, key, "mock/echo", EMBED):
            assert s == 200, (name, s, b)

        for fields, rule in (({"allowed_models": ["mock/echo"]}, "allowed_models"),
                             ({"allowed_models": None, "allowed_ips": ["10.9.8.0/24"]},
                              "allowed_ips")):
            restrict(c, dp, key, key_hash, **fields)
            before = mock_requests(c)
            model = "mock/other" if rule == "allowed_models" else "mock/echo"
            for name, s, b, h in calls(dp, key, model, EMBED if rule == "allowed_ips" else
                                       "mock/embed-other"):
                assert s == 403, (rule, name, s, b)
                assert rule in refusal_message(name, b), (rule, name, b)
                gid = h["X-Generation-Id"]
                g = c.generation(dp, key, gid)
                assert g["total_cost"] == 0 and g["provider_responses"] == [], (name, g)
                wait_until(lambda: re.search(rf"access gen={gid} .* status=403 ", dp.log()), 5,
                           0.05, f"the {name} 403's access line")
            assert mock_requests(c) == before, (rule, "a refused request reached the provider")
            print(f"{rule}: refused on messages, responses, completions and embeddings")


if __name__ == "__main__":
    main()
