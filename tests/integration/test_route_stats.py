"""Endpoint stats: before any traffic GET /models/{author}/{slug}/endpoints shows
latency_last_30m, throughput_last_30m and uptime_last_30m as null. After streamed requests
the workers' measurements reach the controlplane with the usage records, are aggregated there
and published back within a few seconds: latency and throughput as {p50,p75,p90,p99}
percentiles that fit the mock's pacing (streams only), uptime 100 for an endpoint that always answered and 0
for one that always failed (fail-over attempts count against the provider that failed). A
dataplane started afterwards gets the same stats from its snapshot.
"""
from sy_cluster import Cluster, http, wait_until

MSGS = [{"role": "user", "content": "How fast are you?"}]
PCT = ("p50", "p75", "p90", "p99")


def endpoints(dp, key, model):
    s, b, _ = http("GET", f"{dp.url}/api/v1/models/{model}/endpoints",
                   headers={"Authorization": "Bearer " + key})
    assert s == 200, (s, b)
    return {e["provider_name"]: e for e in b["data"]["endpoints"]}


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane(extra=["--stats-ms", "300"])
        _, key, _ = c.setup_demo()
        c.add_mock_provider("pa", "Provider A")
        c.add_mock_provider("pb", "Provider B")
        # 8 tokens at 40 per second after a 200 ms first token
        c.add_model("s/paced", [("pa", "echo@ttft=200,tps=40,tokens=8")])
        c.add_model("s/flaky", [("pa", "echo@fault=503"), ("pb", "echo")])
        dp = c.start_dataplane()
        c.wait_models(dp, key, "s/paced", "s/flaky")

        e = endpoints(dp, key, "s/paced")["Provider A"]
        for f in ("latency_last_30m", "throughput_last_30m", "uptime_last_30m"):
            assert e[f] is None, (f, e)

        for _ in range(3):
            s, _, events, _ = c.chat_stream(dp, key, {"model": "s/paced", "messages": MSGS})
            assert s == 200 and events[-1] == "data: [DONE]", (s, events)
        for _ in range(2):
            s, b, _ = c.chat(dp, key, {"model": "s/flaky", "messages": MSGS,
                                       "provider": {"order": ["pa", "pb"]}})
            assert s == 200 and b["provider"] == "Provider B", (s, b)

        fl = wait_until(lambda: (lambda x: x if x["Provider A"]["uptime_last_30m"] is not None
                                 else None)(endpoints(dp, key, "s/flaky")), 10, 0.1,
                        "uptime of the failing endpoint")
        assert fl["Provider A"]["uptime_last_30m"] == 0, fl
        assert fl["Provider B"]["uptime_last_30m"] == 100, fl
        # two faults are not enough to call it degraded
        assert fl["Provider A"]["status"] == 0, fl
        # speed comes from streams only: a whole answer at once times no first token
        assert fl["Provider B"]["latency_last_30m"] is None, fl
        assert fl["Provider B"]["throughput_last_30m"] is None, fl

        # the usage channel is in order: once the last requests count, all of them do
        e = endpoints(dp, key, "s/paced")["Provider A"]
        lat, tps = e["latency_last_30m"], e["throughput_last_30m"]
        assert set(lat) == set(PCT) and set(tps) == set(PCT), e
        assert lat["p50"] <= lat["p75"] <= lat["p90"] <= lat["p99"], lat
        # the mock waits 200 ms for the first token; a loopback hop adds little
        assert 190 <= lat["p50"] <= 1500, lat
        # 7 gaps of 25 ms after the first token: about 8 / 0.175 s, at most that
        assert 10 <= tps["p50"] <= 60, tps
        assert e["uptime_last_30m"] == 100 and e["status"] == 0, e

        dp2 = c.start_dataplane()
        c.wait_models(dp2, key, "s/paced")
        e2 = wait_until(lambda: (lambda x: x if x["latency_last_30m"] else None)(
            endpoints(dp2, key, "s/paced")["Provider A"]), 10, 0.1, "stats on a new worker")
        assert e2["latency_last_30m"] == lat and e2["throughput_last_30m"] == tps, (e2, e)
        assert e2["uptime_last_30m"] == 100, e2
    print("ok")


if __name__ == "__main__":
    main()
