"""The admin web console in headless Chromium (sdk/console_check.mjs): the headers (CSP,
X-Frame-Options), a wrong key's message, sign-in (key in sessionStorage only), the overview's
numbers against the chat requests this test sent through the dataplane, a key created in the
console used for a chat and refused once disabled there, an org topped up, the activity's CSV
export against the API, an org and a key named like an XSS payload shown as text, phone
width in dark mode. Fails on any console error, failed request or dialog in the page.
Screenshots: build/console/*.png."""
import csv
import io

from sy_cluster import Cluster, http, wait_until
from sy_console import assert_clean, run_console, step

XSS = "<img src=x onerror=alert(1)>"
REQUESTS = 5
APP = "Console <b>App</b>"


def usd(text):
    return float(text.replace("$", "").replace(",", ""))


def check_files(c):
    """The embedded files: types, security headers on every answer, 404 and 405."""
    base = f"http://127.0.0.1:{c.admin_port}"
    for path, ctype in (("/", "text/html"), ("/ui", "text/html"),
                        ("/ui/console.js", "text/javascript"), ("/ui/console.css", "text/css"),
                        ("/ui/chart.min.js", "text/javascript")):
        s, body, h = http("GET", base + path)
        assert s == 200 and h["Content-Type"].startswith(ctype), (path, s, h["Content-Type"])
        assert h["X-Frame-Options"] == "DENY" and "default-src 'none'" in h[
            "Content-Security-Policy"], (path, dict(h))
    s, body, h = http("GET", base + "/ui/nope.js")
    assert s == 404 and body["error"]["code"] == 404 and h["X-Frame-Options"] == "DENY"
    s, body, h = http("POST", base + "/ui/", {"x": 1})
    assert s == 405 and h["Allow"] == "GET, HEAD", (s, body)
    s, body, h = http("HEAD", base + "/ui/console.js")
    assert s == 200 and h["Content-Type"].startswith("text/javascript")


def main(browser="chromium"):
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        org = c.admin("GET", "/api/v1/orgs")[1]["data"][0]["id"]
        costs, tokens = [], 0
        for i in range(REQUESTS):
            s, b, _ = c.chat(dp, key, {"model": "mock/echo", "messages": [
                {"role": "user", "content": f"console test request {i} " + "word " * i}]},
                headers={"X-Title": APP} if i < 2 else None)
            assert s == 200, (s, b)
            costs.append(b["usage"]["cost"])
            tokens += b["usage"]["prompt_tokens"] + b["usage"]["completion_tokens"]
        wait_until(lambda: c.admin("GET", "/api/v1/reports/usage")[1]["data"]["totals"]
                   ["requests"] == REQUESTS, 10, what="usage in the controlplane")
        s, b = c.admin("POST", "/api/v1/orgs", {"name": XSS})
        assert s == 201, (s, b)
        s, b = c.admin("POST", "/api/v1/keys", {"name": XSS, "org_id": org})
        assert s == 201, (s, b)

        res = run_console("flow", {
            "SY_ADMIN_URL": f"http://127.0.0.1:{c.admin_port}", "SY_ADMIN_KEY": c.admin_key,
            "SY_DP_URL": dp.url, "SY_ORG": org, "SY_MODEL": "mock/echo", "SY_XSS": XSS}, browser)
        assert_clean(res)

        h = step(res, "headers")
        assert "script-src 'self'" in h["csp"] and "unsafe" not in h["csp"], h
        assert "frame-ancestors 'none'" in h["csp"] and h["xfo"] == "DENY", h
        assert h["type"].startswith("text/html"), h
        assert "not accepted" in step(res, "wrong_key")
        assert res["expected_errors"], "the wrong key was not refused with a 401"
        si = step(res, "sign_in")
        assert si["stored"] == ["switchyard.mgmt_key"] and si["cookies"] == 0, si
        assert c.admin_key not in si["url"] and "global" in si["who"], si

        ov = step(res, "overview")
        for window in ("1", "7", "30"):
            t = ov["totals"][window]
            assert abs(usd(t["spend"]) - sum(costs)) < 1e-6, (t, costs)
            assert t["requests"] == f"{REQUESTS} requests", t
            assert t["tokens"] == f"{tokens:,} tok", (t, tokens)
        assert [d["label"] for d in ov["chart"]["datasets"]] == ["mock/echo"], ov
        assert abs(ov["chart"]["datasets"][0]["sum"] - sum(costs)) < 1e-9, ov
        assert ov["endpoints"][0][:3] == ["mock/echo", "mock", f"{REQUESTS} requests"], ov
        apps = ov["tops"]["Top apps (30 days)"]
        assert [r[0] for r in apps] == ["(no X-Title / Referer)", APP], apps
        assert apps[1][2] == "2 requests", apps
        assert ov["tops"]["Top keys (30 days)"][0][0] == "k1", ov["tops"]

        ck = step(res, "create_key")
        assert ck["plain_prefix"] == "sk-sy-v1-" and ck["len"] == 9 + 64 and ck["listed"], ck
        ek = step(res, "edit_key")
        assert ek["rpm"] == 120 and ek["limit_reset"] == "monthly" and ek["limit"] == 5, ek
        assert step(res, "use_key")["status"] == 200, res["steps"]["use_key"]
        assert step(res, "disable_key")["status"] in (401, 403), res["steps"]["disable_key"]
        assert step(res, "delete_key")

        tu = step(res, "top_up")
        assert usd(tu["before"]) == 100 and usd(tu["after"]) == 125, tu
        s, b = c.admin("GET", f"/api/v1/orgs/{org}/credits")
        assert b["data"]["total_credits"] == 125, b
        s, b = c.admin("GET", f"/api/v1/orgs/{org}/ledger")
        assert b["data"][-1]["amount"] == 25 and b["data"][-1]["note"] == "console top-up", b

        cv = step(res, "csv")
        rows = list(csv.DictReader(io.StringIO(cv["csv"])))
        s, api = c.admin("GET", "/api/v1/generations?limit=500")
        assert s == 200, api
        assert [r["id"] for r in rows] == [g["id"] for g in api["data"]], (rows, api)
        assert len(rows) == api["total"] == REQUESTS + 1, (len(rows), api["total"])
        assert abs(sum(float(r["usage"]) for r in rows) -
                   sum(g["usage"] for g in api["data"])) < 1e-9
        assert cv["rows"] == REQUESTS + 1 and "Finish reason" in cv["detail"], cv

        x = step(res, "xss")
        assert all(x["seen"].values()) and x["imgs"] == 0, x
        prov = step(res, "providers")
        assert any(r[0] == "mock" and "credential set" in r[4] for r in prov["providers"]), prov
        assert ["mock/echo", "mock", "echo", "$1/M tok", "$2/M tok"] in [
            r[:5] for r in prov["models"]], prov["models"]
        assert "mock-provider-secret" not in str(prov)
        pd = step(res, "phone_dark")
        assert pd["overflow"] <= 0 and pd["bg"] == "rgb(17, 20, 24)", pd
        assert step(res, "sign_out") == []
        check_files(c)
        print(f"ok: console flow in {browser}, {len(res['steps'])} steps")


if __name__ == "__main__":
    main()
