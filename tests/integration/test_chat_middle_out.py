"""transforms: ["middle-out"]. A conversation longer than an endpoint's context: on a 1024-token
model (at most 8k: middle-out by default) messages are dropped from the middle until the
prompt fits — the system message, the first turn and the latest turns reach the provider, and
the answer is a normal 200; `transforms: []` turns it off and the whole conversation goes
upstream; on a 128k model nothing is dropped unless asked, and asking changes nothing when it
fits. An unknown transform is a 400 naming it.
"""
from sy_adapters import mock_last
from sy_cluster import Cluster


def conversation(turns):
    msgs = [{"role": "system", "content": "You are terse."}]
    for i in range(turns):
        role = "user" if i % 2 == 0 else "assistant"
        msgs.append({"role": role, "content": f"turn {i} " + "word " * 100})
    return msgs


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        c.add_mock_provider("pa", "Provider A")
        c.add_model("m/small", [("pa", "echo")], context_length=1024)
        c.add_model("m/large", [("pa", "echo")], context_length=128000)
        c.wait_models(dp, key, "m/small", "m/large")
        msgs = conversation(31)  # about 130 estimated tokens a turn: ~4000 in all

        s, b, _ = c.chat(dp, key, {"model": "m/small", "messages": msgs, "max_tokens": 50})
        assert s == 200, (s, b)
        sent = mock_last(c)["body"]["messages"]
        assert 3 <= len(sent) < len(msgs), len(sent)
        assert sent[0] == msgs[0] and sent[1] == msgs[1], sent[:2]  # system, first turn
        assert sent[-1] == msgs[-1] and sent[-2] == msgs[-2], sent[-2:]  # the latest turns
        chars = sum(len(m["content"]) for m in sent)
        assert chars / 4 + 4 * len(sent) <= 1024 - 50, (chars, len(sent))
        dropped = [m["content"][:8] for m in msgs if m not in sent]
        assert "turn 15 " in dropped, dropped  # the middle went

        s, b, _ = c.chat(dp, key, {"model": "m/small", "messages": msgs, "transforms": []})
        assert s == 200, (s, b)
        assert mock_last(c)["body"]["messages"] == msgs

        for transforms in (None, ["middle-out"]):
            body = {"model": "m/large", "messages": msgs}
            if transforms is not None:
                body["transforms"] = transforms
            s, b, _ = c.chat(dp, key, body)
            assert s == 200, (s, b)
            assert mock_last(c)["body"]["messages"] == msgs
            assert "transforms" not in mock_last(c)["body"]

        s, b, _ = c.chat(dp, key, {"model": "m/small", "messages": msgs,
                                   "transforms": ["compress"]})
        assert s == 400 and "transforms" in b["error"]["message"], (s, b)
        print("ok:", len(msgs), "messages ->", len(sent), "on a 1024-token model")


if __name__ == "__main__":
    main()
