"""Dataplane authentication end to end: every 401 case with its message (missing, malformed,
unknown, disabled, expired key, management key used for inference), and a key disabled via
the admin API refused by every worker (2 workers, hit on fresh connections) within a second.
"""
import datetime
import sys
import time

from sy_cluster import Cluster, http, wait_until

CHAT = {"model": "mock/echo", "messages": [{"role": "user", "content": "hi"}]}


def get_key(dp, auth):
    h = {"Authorization": auth} if auth is not None else {}
    return http("GET", dp.url + "/api/v1/key", headers=h)


def assert_401(status, body, needle):
    assert status == 401, (status, body)
    err = body["error"]
    assert err["code"] == 401, body
    assert needle in err["message"], (needle, body)


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, key, key_hash = c.setup_demo()
        dp = c.start_dataplane(workers=2)

        # both workers answer (each connection lands on one of them)
        seen = set()
        wait_until(lambda: seen.add(http("GET", dp.url + "/ready")[1]["worker"]) or len(seen) == 2,
                   10, 0.01, "both workers to answer")

        # the valid key works for /key and for inference
        s, b, _ = get_key(dp, "Bearer " + key)
        assert s == 200 and b["data"]["is_management_key"] is False, (s, b)
        s, b, _ = http("POST", dp.url + "/api/v1/chat/completions", CHAT,
                       {"Authorization": "Bearer " + key})
        assert s == 200, (s, b)

        # every refusal, with a precise message that never echoes the key
        assert_401(*get_key(dp, None)[:2], "Missing Authorization header")
        assert_401(*get_key(dp, "")[:2], "Missing Authorization header")
        assert_401(*get_key(dp, "Basic " + key)[:2], "Malformed Authorization header")
        assert_401(*get_key(dp, "Bearer")[:2], "Malformed Authorization header")
        assert_401(*get_key(dp, "Bearer a b")[:2], "Malformed Authorization header")
        unknown = "sk-sy-v1-" + "0" * 64
        s, b, _ = get_key(dp, "Bearer " + unknown)
        assert_401(s, b, "Invalid API key")
        assert unknown not in str(b)
        s, b, _ = http("POST", dp.url + "/v1/chat/completions", CHAT,
                       {"Authorization": "Bearer " + unknown})
        assert_401(s, b, "Invalid API key")
        s, b, _ = http("GET", dp.url + "/api/v1/generation?id=gen-1", headers={})
        assert_401(s, b, "Missing Authorization header")

        # a management key cannot call inference; /key says what it is
        s, b, _ = http("POST", dp.url + "/api/v1/chat/completions", CHAT,
                       {"Authorization": "Bearer " + c.admin_key})
        assert_401(s, b, "Management keys cannot be used")
        s, b, _ = get_key(dp, "Bearer " + c.admin_key)
        assert s == 200 and b["data"]["is_management_key"] is True, (s, b)

        # an expired key: created to expire in 2 seconds
        exp = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2))
        s, b = c.admin("POST", "/api/v1/keys", {"name": "short", "org_id": org,
                                                "expires_at": exp.strftime("%Y-%m-%dT%H:%M:%SZ")})
        assert s == 201, (s, b)
        short = b["key"]
        wait_until(lambda: get_key(dp, "Bearer " + short)[0] == 200, 5, what="new key usable")
        wait_until(lambda: get_key(dp, "Bearer " + short)[0] == 401, 6, what="key to expire")
        assert_401(*get_key(dp, "Bearer " + short)[:2], "expired")

        # disabled via the admin API: refused by every worker within a second
        t0 = time.time()
        s, b = c.admin("PATCH", f"/api/v1/keys/{key_hash}", {"disabled": True})
        assert s == 200, (s, b)
        time.sleep(max(0.0, 1.0 - (time.time() - t0)))
        results = [get_key(dp, "Bearer " + key)[:2] for _ in range(40)]
        for s, b in results:
            assert_401(s, b, "disabled")
        s, b, _ = http("POST", dp.url + "/api/v1/chat/completions", CHAT,
                       {"Authorization": "Bearer " + key})
        assert_401(s, b, "disabled")

        # enabled again: accepted again
        s, b = c.admin("PATCH", f"/api/v1/keys/{key_hash}", {"disabled": False})
        assert s == 200, (s, b)
        wait_until(lambda: all(get_key(dp, "Bearer " + key)[0] == 200 for _ in range(10)), 3,
                   what="re-enabled key accepted")

        # no log line carries a key or its hash
        for pr in c.procs:
            if pr.name.startswith("dataplane"):
                log = pr.log()
                assert key not in log and key_hash not in log and short not in log
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
