"""openrouter/auto and switchyard/auto. Without rules both answer 404 saying none are
configured. The rules live in the controlplane (PUT/GET/DELETE /api/v1/auto-router): a bad
body is a 400 naming the field and writes nothing, an org-scoped management key may read but
not write. With rules [tools -> auto/tools, prompt of 200+ tokens -> auto/long, keyword
"translate" -> auto/kw] and default auto/default, each request goes to the model its first
matching rule names (keywords in the last user message, any case), else the default; the
response's model, the generation record and the cost are the chosen model's. Deleting the
rules brings the 404 back.
"""
import math
from decimal import Decimal

from sy_cluster import Cluster, wait_until

PRICES = {"auto/tools": "0.000001", "auto/long": "0.000002", "auto/kw": "0.000003",
          "auto/default": "0.000004"}
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}}, "required": ["city"]}}}]
RULES = {"default_model": "auto/default", "rules": [
    {"model": "auto/tools", "has_tools": True},
    {"model": "auto/long", "min_prompt_tokens": 200},
    {"model": "auto/kw", "keywords": ["translate", "traduire"]}]}


def msgs(text, earlier=None):
    m = [{"role": "system", "content": "You are helpful."}]
    if earlier:
        m += [{"role": "user", "content": earlier}, {"role": "assistant", "content": "Ok."}]
    return m + [{"role": "user", "content": text}]


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, key, _ = c.setup_demo()
        for m, p in PRICES.items():
            c.add_model(m, [("mock", "echo", p, p)])
        dp = c.start_dataplane()
        c.wait_models(dp, key, *PRICES)

        for auto in ("openrouter/auto", "switchyard/auto"):
            s, b, _ = c.chat(dp, key, {"model": auto, "messages": msgs("hi")})
            assert s == 404 and "no auto-router rules are configured" in \
                b["error"]["message"], (s, b)
        s, b = c.admin("GET", "/api/v1/auto-router")
        assert s == 404, (s, b)

        bad = [({"rules": []}, "default_model"),
               ({"default_model": "auto/nope"}, "default_model"),
               ({"default_model": "openrouter/auto"}, "default_model"),
               ({"default_model": "auto/default", "rules": {}}, "rules"),
               ({"default_model": "auto/default", "rules": [{"model": "auto/kw"}]}, "rules[0]"),
               ({"default_model": "auto/default", "rules": [
                   {"model": "auto/kw", "has_tools": "yes"}]}, "rules[0].has_tools"),
               ({"default_model": "auto/default", "rules": [
                   {"model": "auto/kw", "min_prompt_tokens": -1}]},
                "rules[0].min_prompt_tokens"),
               ({"default_model": "auto/default", "rules": [
                   {"model": "auto/kw", "has_tools": True},
                   {"model": "auto/kw", "keywords": []}]}, "rules[1].keywords"),
               ({"default_model": "auto/default", "rules": [
                   {"model": "auto/kw", "keywords": ["ok", 7]}]}, "rules[0].keywords[1]"),
               ({"default_model": "auto/default", "rules": [
                   {"model": "auto/missing", "has_tools": True}]}, "rules[0].model")]
        for body, field in bad:
            s, b = c.admin("PUT", "/api/v1/auto-router", body)
            assert s == 400 and b["error"]["metadata"]["field"] == field, (body, s, b)
            assert b["error"]["message"].startswith(field + ":"), b
        assert c.admin("GET", "/api/v1/auto-router")[0] == 404

        s, b = c.admin("POST", "/api/v1/management-keys", {"name": "scoped", "org_id": org})
        assert s == 201, (s, b)
        scoped = b["key"]
        s, b = c.admin("PUT", "/api/v1/auto-router", RULES, key=scoped)
        assert s == 403, (s, b)

        s, b = c.admin("PUT", "/api/v1/auto-router", RULES)
        assert s == 201, (s, b)
        assert b["data"]["default_model"] == "auto/default" and b["data"]["rules"] == \
            RULES["rules"], b
        s, b = c.admin("GET", "/api/v1/auto-router", key=scoped)
        assert s == 200 and b["data"]["rules"] == RULES["rules"], (s, b)

        def pick(body):
            s, b, h = c.chat(dp, key, dict({"model": "openrouter/auto"}, **body))
            assert s == 200, (s, b)
            return b, h

        wait_until(lambda: c.chat(dp, key, {"model": "openrouter/auto",
                                            "messages": msgs("hi")})[0] == 200,
                   10, 0.1, "auto-router rules on the dataplane")
        cases = [({"messages": msgs("Weather in Paris?"), "tools": TOOLS}, "auto/tools"),
                 # tools win over a keyword: the first matching rule decides
                 ({"messages": msgs("translate: weather?"), "tools": TOOLS}, "auto/tools"),
                 ({"messages": msgs("x" * 1000)}, "auto/long"),
                 ({"messages": msgs("Please TRANSLATE this to French")}, "auto/kw"),
                 ({"messages": [{"role": "user", "content": [
                     {"type": "text", "text": "Pouvez-vous traduire ceci ?"}]}]}, "auto/kw"),
                 # only the last user message counts for keywords
                 ({"messages": msgs("thanks", earlier="translate this")}, "auto/default"),
                 ({"messages": msgs("Hello there")}, "auto/default")]
        for body, want in cases:
            b, h = pick(body)
            assert b["model"] == want, (body, b["model"], want)
            u = b["usage"]
            cost = float((u["prompt_tokens"] + u["completion_tokens"]) * Decimal(PRICES[want]))
            assert math.isclose(u["cost"], cost, abs_tol=1e-12), (want, u, cost)
            g = c.generation(dp, key, h["X-Generation-Id"])
            assert g["model"] == want and math.isclose(g["total_cost"], cost, abs_tol=1e-12), g

        s, b, _ = c.chat(dp, key, {"model": "switchyard/auto", "messages": msgs("Hello")})
        assert s == 200 and b["model"] == "auto/default", (s, b)
        # the auto router with a fallback list: its choice comes first
        s, b, _ = c.chat(dp, key, {"model": "openrouter/auto", "models": ["auto/default"],
                                   "messages": msgs("translate")})
        assert s == 200 and b["model"] == "auto/kw", (s, b)

        s, b = c.admin("DELETE", "/api/v1/auto-router", key=scoped)
        assert s == 403, (s, b)
        s, b = c.admin("DELETE", "/api/v1/auto-router")
        assert s == 200 and b == {"deleted": True}, (s, b)
        wait_until(lambda: c.chat(dp, key, {"model": "openrouter/auto",
                                            "messages": msgs("hi")})[0] == 404,
                   10, 0.1, "rules gone from the dataplane")
    print("ok")


if __name__ == "__main__":
    main()
