"""Sticky sessions across workers and dataplanes. Two dataplanes of two workers each, a model
on two providers at the same price: without a session the first choice is a coin toss per
request. With session_id (or the x-session-id header) every request of a session lands on the
same provider whichever worker and dataplane takes it (the choice is computed from the session
id: no shared state, no round trip), different sessions spread over both providers, and the
generation records the session id.
"""
from sy_cluster import Cluster

MODEL = "s/sticky"
MSGS = [{"role": "user", "content": "Same provider please"}]


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        _, key, _ = c.setup_demo()
        c.add_mock_provider("sa", "SA")
        c.add_mock_provider("sb", "SB")
        c.add_model(MODEL, [("sa", "echo"), ("sb", "echo")])
        dps = [c.start_dataplane(workers=2), c.start_dataplane(workers=2)]
        for dp in dps:
            c.wait_models(dp, key, MODEL)

        served = {}
        last_gen = None
        for sess in range(12):
            sid = f"conversation-{sess}"
            for i in range(10):
                dp = dps[i % 2]
                body = {"model": MODEL, "messages": MSGS}
                headers = None
                if i % 3 == 0:
                    headers = {"x-session-id": sid}
                else:
                    body["session_id"] = sid
                s, b, _ = c.chat(dp, key, body, headers=headers)
                assert s == 200, (sid, i, s, b)
                served.setdefault(sid, set()).add(b["provider"])
                last_gen = (dp, b["id"], sid)
        split = {sid: p for sid, p in served.items() if len(p) != 1}
        assert not split, f"sessions served by more than one provider: {split}"
        used = set().union(*served.values())
        assert used == {"SA", "SB"}, used  # 12 sessions at 50/50: both are used

        dp, gen_id, sid = last_gen
        g = c.generation(dp, key, gen_id)
        assert g["session_id"] == sid, g
        print("12 sessions x 10 requests over 2 dataplanes x 2 workers: one provider each;",
              {p: sum(1 for v in served.values() if p in v) for p in sorted(used)})


if __name__ == "__main__":
    main()
