"""Rescue on the same endpoint (issue 18): a 429 whose Retry-After (1 s) fits
--retry-after-max-ms is retried on the same endpoint after the wait when no other endpoint of
the model is left, and the client gets a 200; a transient 502 (or a reset before any byte) is
retried once on the same endpoint before the fallback is paid for. Each retry shows in the
generation's provider_responses (retry_reason, retry_wait_ms) and in the metrics. With
--retry-after-max-ms 0 the same 429 is not waited for.
"""
import re
import time

from sy_cluster import Cluster, http, wait_until

MSGS = [{"role": "user", "content": "hi"}]


def counter(dp, name):
    m = re.search(rf"^{name} (\d+)$", http("GET", dp.metrics_url)[1], re.M)
    return int(m.group(1)) if m else 0


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_mock_provider("pb", "Provider B")
        c.add_model("f/ra-once", [("pa", "echo@fault=429-retry-after-1-once")])
        c.add_model("f/502-once", [("pa", "echo@fault=502-once,key=t502"), ("pb", "echo")])
        c.add_model("f/rst-once-fb", [("pa", "echo@fault=reset-once,key=rst"), ("pb", "echo")])
        c.wait_models(dp, key, "f/ra-once", "f/502-once", "f/rst-once-fb")

        order = {"order": ["pa", "pb"]}
        # the reset first: on a connection it reused, curl would retry a reset by itself
        for model, first in (("f/rst-once-fb", (None, "reset")), ("f/502-once", (502, "http_5xx"))):
            s, b, h = c.chat(dp, key, {"model": model, "messages": MSGS, "provider": order})
            assert s == 200 and b["provider"] == "Provider A", (model, s, b)
            g = c.generation(dp, key, h["X-Generation-Id"])
            pr = g["provider_responses"]
            assert [(a["provider"], a["status"], a["error_class"], a.get("retry_reason"))
                    for a in pr] == [("pa",) + first + (None,), ("pa", 200, "", "transient")], pr
        wait_until(lambda: counter(dp, "switchyard_dp_retries_transient_total") == 2,
                   what="the transient retries in the metrics")
        assert c.mock_stats()["requests"].get("pb|echo", 0) == 0, "the fallback was paid for"

        t0 = time.time()
        s, b, h = c.chat(dp, key, {"model": "f/ra-once", "messages": MSGS})
        dt = time.time() - t0
        assert s == 200 and b["provider"] == "Provider A", (s, b)
        assert 0.9 <= dt < 5, dt
        g = c.generation(dp, key, h["X-Generation-Id"])
        pr = g["provider_responses"]
        assert [(a["provider"], a["status"], a["error_class"], a.get("retry_reason"),
                 a.get("retry_wait_ms")) for a in pr] == \
            [("pa", 429, "rate_limited", None, None), ("pa", 200, "", "retry_after", 1000)], pr
        wait_until(lambda: counter(dp, "switchyard_dp_retries_retry_after_total") == 1,
                   what="the Retry-After retry in the metrics")

        # the operator turns the wait off: the 429 is the answer at once
        dp2 = c.start_dataplane(extra=["--retry-after-max-ms", "0"])
        c.add_model("f/ra-once-2", [("pa", "echo@fault=429-retry-after-1-once,key=two")])
        c.wait_models(dp2, key, "f/ra-once-2")
        s, b, h = c.chat(dp2, key, {"model": "f/ra-once-2", "messages": MSGS})
        assert s == 429 and h["Retry-After"] == "1", (s, b, dict(h))
    print("ok")


if __name__ == "__main__":
    main()
