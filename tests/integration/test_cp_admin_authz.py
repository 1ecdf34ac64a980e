"""The admin API's authorization table (docs/controlplane.md, "Who may call which route"),
walked with each kind of key: a global management key, an org-scoped management key (on its
own org), an inference API key and no key. Every row of the table is called by every kind and
must answer as the table says ('yes': 2xx, '403', '401'); the special cells are checked both
ways (an org key may rename its org but not switch it to postpaid; it may lower an existing
budget but not create, raise or delete one). Money controls refused to the org key change
nothing. Every route in controlplane/cp_admin.c's routes[], cp_billing.h and cp_rankings.h must be a
row.
"""
import itertools
import os
import re
import sys

from sy_cluster import Cluster, http

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
KINDS = ("global", "org", "apikey", "none")


def doc_table():
    """[(method, path, {kind: cell})] from the table in docs/controlplane.md."""
    text = open(os.path.join(ROOT, "docs", "controlplane.md")).read()
    sec = text.split("#### Who may call which route", 1)[1]
    rows = []
    for line in sec.splitlines():
        m = re.match(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|(.*)\|$", line)
        if m:
            cells = [x.strip() for x in m.group(3).split("|")]
            assert len(cells) == 4, line
            rows.append((m.group(1), m.group(2), dict(zip(KINDS, cells))))
        elif rows and not line.startswith("|"):
            break
    assert len(rows) > 30, rows
    return rows


def code_routes():
    """(method, path with {} placeholders) of every route the controlplane's code serves."""
    out = set()
    src = open(os.path.join(ROOT, "controlplane", "cp_admin.c")).read()
    for coll, item, method in re.findall(r'\{"([a-z-]+)", (true|false), "([A-Z]+)", \w+\}', src):
        out.add((method, f"/api/v1/{coll}" + ("/{}" if item == "true" else "")))
    hdr = "".join(open(os.path.join(ROOT, "controlplane", h)).read()
                  for h in ("cp_billing.h", "cp_rankings.h"))
    for method, path in re.findall(r"^ \*   (GET|POST|PUT|PATCH|DELETE)\s+(/api/\S+)", hdr, re.M):
        path = path.split("?")[0]
        for p in ([path.replace("[.csv]", ""), path.replace("[.csv]", ".csv")]
                  if "[.csv]" in path else [path]):
            out.add((method, re.sub(r"\{[^}]*\}", "{}", p)))
    assert len(out) > 30, out
    return out


def main():
    rows = doc_table()
    documented = {(m, re.sub(r"\{[^}]*\}", "{}", p)) for m, p, _ in rows}
    missing = code_routes() - documented
    assert not missing, f"routes missing from the table in docs/controlplane.md: {missing}"

    with Cluster() as c:
        c.start_controlplane()
        base = f"http://127.0.0.1:{c.admin_port}"
        fresh = itertools.count()

        def g(method, path, body=None, want=(200, 201)):
            s, b = c.admin(method, path, body)
            assert s in want, (method, path, body, s, b)
            return b

        org = g("POST", "/api/v1/orgs", {"name": "own"})["data"]["id"]
        other = g("POST", "/api/v1/orgs", {"name": "other"})["data"]["id"]
        api_key = g("POST", "/api/v1/keys", {"name": "inference", "org_id": org})["key"]
        keys = {"global": c.admin_key, "apikey": api_key, "none": None,
                "org": g("POST", "/api/v1/management-keys",
                         {"name": "ops", "org_id": org})["key"]}
        g("POST", "/api/v1/providers", {"slug": "p1", "base_url": "http://127.0.0.1:9/v1"})
        pricing = {"prompt": "0.000001", "completion": "0.000002"}

        def model_body(mid):
            return {"id": mid, "name": mid, "context_length": 8192,
                    "endpoints": [{"provider": "p1", "provider_model_id": "x",
                                   "pricing": pricing}]}
        g("POST", "/api/v1/models", model_body("m1/x"))
        g("POST", f"/api/v1/orgs/{org}/credits", {"amount": 10})
        g("PUT", f"/api/v1/orgs/{org}/budgets/monthly", {"limit_usd": 100})

        # What each row needs: (path, body) for one call, with targets that a call by any
        # kind may consume (deletions get a fresh target each time).
        def target(method, path):
            n = next(fresh)
            if method == "DELETE" and path == "/api/v1/orgs/{id}":
                path = path.replace("{id}", g("POST", "/api/v1/orgs",
                                              {"name": f"gone{n}"})["data"]["id"])
            elif method == "DELETE" and path.endswith("/budgets/{period}"):
                g("PUT", f"/api/v1/orgs/{org}/budgets/daily", {"limit_usd": 1})
                path = path.replace("{period}", "daily")
            elif method == "DELETE" and path == "/api/v1/keys/{hash}":
                path = path.replace("{hash}", g("POST", "/api/v1/keys", {
                    "name": f"gone{n}", "org_id": org})["data"]["hash"])
            elif method == "DELETE" and path == "/api/v1/management-keys/{hash}":
                path = path.replace("{hash}", g("POST", "/api/v1/management-keys", {
                    "name": f"gone{n}", "org_id": org})["data"]["hash"])
            elif method == "DELETE" and path == "/api/v1/providers/{slug}":
                g("POST", "/api/v1/providers", {"slug": f"gone{n}",
                                                "base_url": "http://127.0.0.1:9/v1"})
                path = path.replace("{slug}", f"gone{n}")
            elif method == "DELETE" and path == "/api/v1/models/{id}":
                g("POST", "/api/v1/models", model_body(f"gone/m{n}"))
                path = path.replace("{id}", f"gone/m{n}")
            elif path == "/api/v1/guardrails/{id}":
                path = path.replace("{id}", g("POST", "/api/v1/guardrails", {
                    "name": f"gr{n}", "org_ids": [org]})["data"]["id"])
            elif path.endswith("/auto-router") and method != "PUT":
                g("PUT", "/api/v1/auto-router", {"default_model": "m1/x"})
            key_hash = g("POST", "/api/v1/keys", {"name": f"k{n}", "org_id": org})["data"]["hash"]
            mkey_hash = g("POST", "/api/v1/management-keys", {"name": f"mk{n}"})["data"]["hash"]
            path = (path.replace("{id}", org if "/orgs/" in path else "m1/x")
                    .replace("{hash}", mkey_hash if "management-keys" in path else key_hash)
                    .replace("{slug}", "p1").replace("{period}", "monthly"))
            bodies = {
                ("POST", "/api/v1/orgs"): {"name": f"new{n}"},
                ("PATCH", "/orgs/"): {"name": f"renamed{n}"},
                ("POST", "/credits"): {"amount": 1, "note": "authz"},
                ("PUT", "/budgets/"): {"limit_usd": 100},
                ("POST", "/api/v1/keys"): {"name": f"new{n}", "org_id": org},
                ("PATCH", "/keys/"): {"name": f"renamed{n}"},
                ("POST", "/api/v1/management-keys"): {"name": f"new{n}", "org_id": org},
                ("POST", "/api/v1/providers"): {"slug": f"new{n}",
                                                "base_url": "http://127.0.0.1:9/v1"},
                ("PATCH", "/providers/"): {"name": f"renamed{n}"},
                ("POST", "/api/v1/models"): model_body(f"new/m{n}"),
                ("PATCH", "/models/"): {"name": f"renamed{n}"},
                ("PUT", "/auto-router"): {"default_model": "m1/x"},
                ("POST", "/api/v1/guardrails"): {"name": f"new{n}", "enforce_zdr": True},
                ("PATCH", "/guardrails/"): {"name": f"renamed{n}"},
            }
            body = next((b for (m, frag), b in bodies.items() if m == method and (
                path == frag if frag.startswith("/api/") else frag in path)), None)
            return path, body

        def call(kind, method, path, body=None):
            hdrs = {"Authorization": "Bearer " + keys[kind]} if keys[kind] else {}
            return http(method, base + path, body, hdrs)[:2]

        def money():
            return g("GET", f"/api/v1/orgs/{org}/credits")["data"], \
                g("GET", f"/api/v1/orgs/{org}/budgets")["data"], \
                g("GET", f"/api/v1/orgs/{org}")["data"]

        walked = 0
        for method, path, cells in rows:
            for kind in ("org", "apikey", "none", "global"):
                cell = cells[kind]
                p, body = target(method, path)
                before = money()
                s, b = call(kind, method, p, body)
                where = (kind, method, p, body, cell, s, b)
                if cell.startswith("yes") or cell.startswith("lowering"):
                    if cell.startswith("lowering"):  # the monthly budget is 100: lower it
                        s, b = call(kind, method, p, {"limit_usd": 50})
                        where = where[:-2] + (s, b)
                    assert 200 <= s < 300, where
                else:
                    want = int(cell[:3])
                    assert s == want and b["error"]["code"] == want, where
                    if kind == "org":  # a refused money control changed nothing
                        assert money() == before, where
                walked += 1
                if "`postpaid`: 403" in cell:
                    for field, value in (("postpaid", True), ("billing", "postpaid")):
                        s, b = call(kind, method, p, {field: value})
                        assert s == 403 and "billing mode" in b["error"]["message"], (field, s, b)
                    assert money()[2]["postpaid"] is False, money()
                if "create or raise: 403" in cell:
                    before = money()
                    for period, limit in (("monthly", 1_000_000), ("lifetime", 100_000_000)):
                        s, b = call(kind, "PUT", f"/api/v1/orgs/{org}/budgets/{period}",
                                    {"limit_usd": limit})
                        assert s == 403, (period, s, b)
                    assert money() == before, (before, money())
                if method == "PUT" and path.endswith("/budgets/{period}"):
                    g("PUT", f"/api/v1/orgs/{org}/budgets/monthly", {"limit_usd": 100})
        assert walked == 4 * len(rows)

        # the org key's scope: another org's money is not even visible
        for method, path, body in (("GET", f"/api/v1/orgs/{other}/credits", None),
                                   ("POST", f"/api/v1/orgs/{other}/credits", {"amount": 1}),
                                   ("PUT", f"/api/v1/orgs/{other}/budgets/monthly",
                                    {"limit_usd": 1})):
            s, b = call("org", method, path, body)
            assert s == 404, (method, path, s, b)
        credits = g("GET", f"/api/v1/orgs/{org}/credits")["data"]
        print("walked", walked, "calls; credits", credits)
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
