"""Sorting by measured speed. Three endpoints of one model, paced by the mock: "cheap" is the
cheapest and slow in every way (600 ms to the first token or to a whole answer, 10 tokens/s),
"quick" answers in 50 ms but streams at 20 tokens/s, "burst" waits 400 ms and then streams at
100 tokens/s. Without
measurements a throughput or latency sort has nothing to go on and price decides (cheap).
After a few streamed requests to each (provider.only), the worker that served them sorts by
its own measurements: sort "throughput" and the ":nitro" variant pick burst, sort "latency"
picks quick. A fresh worker that never served the model sorts the same way from the stats the
controlplane published.
"""
from sy_cluster import Cluster, http, wait_until

MSGS = [{"role": "user", "content": "Which one is fastest?"}]
MODEL = "s/speed"


def served_by(c, dp, key, body):
    s, b, _ = c.chat(dp, key, dict({"model": MODEL, "messages": MSGS}, **body))
    assert s == 200, (s, b)
    return b["provider"]


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane(extra=["--stats-ms", "300"])
        _, key, _ = c.setup_demo()
        for slug in ("cheap", "quick", "burst"):
            c.add_mock_provider(slug, slug)
        c.add_model(MODEL, [("cheap", "echo@latency=600,ttft=600,tps=10,tokens=8", "0.000001", "0.000001"),
                            ("quick", "echo@latency=50,ttft=50,tps=20,tokens=8", "0.000003", "0.000003"),
                            ("burst", "echo@latency=400,ttft=400,tps=100,tokens=8", "0.000003", "0.000003")])
        dp = c.start_dataplane()
        c.wait_models(dp, key, MODEL)

        assert served_by(c, dp, key, {"provider": {"sort": "throughput"}}) == "cheap"
        assert served_by(c, dp, key, {"provider": {"sort": "latency"}}) == "cheap"

        for slug in ("cheap", "quick", "burst"):
            for _ in range(2):
                s, _, events, _ = c.chat_stream(dp, key, {"model": MODEL, "messages": MSGS,
                                                          "provider": {"only": [slug]}})
                assert s == 200 and events[-1] == "data: [DONE]", (slug, s, events)

        assert served_by(c, dp, key, {"provider": {"sort": "throughput"}}) == "burst"
        assert served_by(c, dp, key, {"model": MODEL + ":nitro"}) == "burst"
        assert served_by(c, dp, key, {"provider": {"sort": {"by": "latency"}}}) == "quick"

        def published():
            s, b, _ = http("GET", f"{dp.url}/api/v1/models/{MODEL}/endpoints",
                           headers={"Authorization": "Bearer " + key})
            return all(e["throughput_last_30m"] and e["latency_last_30m"]
                       for e in b["data"]["endpoints"])
        wait_until(published, 10, 0.1, "published stats of all three endpoints")

        dp2 = c.start_dataplane()
        c.wait_models(dp2, key, MODEL)
        wait_until(lambda: http("GET", f"{dp2.url}/api/v1/models/{MODEL}/endpoints",
                                headers={"Authorization": "Bearer " + key})[1]["data"]
                   ["endpoints"][0]["latency_last_30m"], 10, 0.1, "stats on the new worker")
        before = c.mock_stats()["prefixes"]
        assert served_by(c, dp2, key, {"provider": {"sort": "throughput"}}) == "burst"
        assert served_by(c, dp2, key, {"model": MODEL + ":nitro"}) == "burst"
        assert served_by(c, dp2, key, {"provider": {"sort": "latency"}}) == "quick"
        after = c.mock_stats()["prefixes"]
        assert after["burst"] == before["burst"] + 2 and after["quick"] == before["quick"] + 1, \
            (before, after)
        assert after["cheap"] == before["cheap"], (before, after)
    print("ok")


if __name__ == "__main__":
    main()
