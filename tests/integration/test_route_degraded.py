"""Shared ejection. One worker sends requests pinned to a provider that always answers 503
(provider.only, so every request tries it, twice): the controlplane aggregates the failed
attempts from the usage records, finds the endpoint's recent uptime below 50% over at least 5
attempts and publishes it as degraded (status -1 in /endpoints). A second worker started
afterwards, which never saw a failure itself, then routes around it even when provider.order
names it first: the request is served by the other provider and the failing one gets no
traffic. As the only endpoint left by the request's filters it is still tried (never drop
the last endpoint of a model).
"""
from sy_cluster import Cluster, http, wait_until

MSGS = [{"role": "user", "content": "Are you up?"}]
MODEL = "d/shared"


def endpoint(dp, key, provider_name):
    s, b, _ = http("GET", f"{dp.url}/api/v1/models/{MODEL}/endpoints",
                   headers={"Authorization": "Bearer " + key})
    assert s == 200, (s, b)
    return next(e for e in b["data"]["endpoints"] if e["provider_name"] == provider_name)


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane(extra=["--stats-ms", "200"])
        _, key, _ = c.setup_demo()
        c.add_mock_provider("bad", "Bad Cloud")
        c.add_mock_provider("good", "Good Cloud")
        c.add_model(MODEL, [("bad", "echo@fault=503", "0.000001", "0.000001"),
                            ("good", "echo", "0.000002", "0.000002")])
        dp1 = c.start_dataplane()
        c.wait_models(dp1, key, MODEL)

        for _ in range(3):
            s, b, _ = c.chat(dp1, key, {"model": MODEL, "messages": MSGS,
                                        "provider": {"only": ["bad"]}})
            assert s == 502, (s, b)
        e = wait_until(lambda: (lambda x: x if x["status"] == -1 else None)(
            endpoint(dp1, key, "Bad Cloud")), 10, 0.1, "the endpoint published as degraded")
        assert e["uptime_last_30m"] == 0 and e["uptime_last_5m"] == 0, e
        assert endpoint(dp1, key, "Good Cloud")["status"] == 0

        dp2 = c.start_dataplane()
        c.wait_models(dp2, key, MODEL)
        wait_until(lambda: endpoint(dp2, key, "Bad Cloud")["status"] == -1, 10, 0.1,
                   "the degraded mark on the new worker")
        before = c.mock_stats()["prefixes"]["bad"]
        for _ in range(3):
            s, b, h = c.chat(dp2, key, {"model": MODEL, "messages": MSGS,
                                        "provider": {"order": ["bad", "good"]}})
            assert s == 200 and b["provider"] == "Good Cloud", (s, b)
            g = c.generation(dp2, key, h["X-Generation-Id"])
            assert [a["provider"] for a in g["provider_responses"]] == ["good"], g
        assert c.mock_stats()["prefixes"]["bad"] == before, c.mock_stats()

        # the only endpoint the filters leave is tried all the same
        s, b, _ = c.chat(dp2, key, {"model": MODEL, "messages": MSGS,
                                    "provider": {"only": ["bad"]}})
        assert s == 502, (s, b)
        assert c.mock_stats()["prefixes"]["bad"] > before, c.mock_stats()
    print("ok")


if __name__ == "__main__":
    main()
