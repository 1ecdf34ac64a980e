"""Legacy POST /completions: the prompt (a string or an array of one) becomes one user turn
of a chat request on any chat endpoint; the answer is object "text_completion" with
choices[].text, streamed or not (ending with [DONE]), through each adapter of the mock, with
the official `openai` SDK's client.completions.create; what a chat endpoint cannot give (echo,
suffix, logprobs, best_of, batches, token arrays) is a 400 naming it; errors keep OpenRouter's
envelope. Node and npm are required: without them this test fails.
"""
from sy_adapters import add_model, add_provider, mock_last, one_record
from sy_cluster import Cluster, http, run_sdk_script, sdk_step, sse

TOKENS = " ".join(f"tok{i}" for i in range(16))


def main():
    with Cluster() as c:
        dp, key = c.start_chat_cluster()
        for slug, adapter in (("oai", "openai"), ("gem", "gemini"), ("anth", "anthropic")):
            add_provider(c, slug, adapter, slug.upper())
            add_model(c, f"x/{slug}", [(slug, "echo")])
        c.wait_models(dp, key, "x/oai", "x/gem", "x/anth")
        url = dp.url + "/api/v1/completions"
        auth = {"Authorization": "Bearer " + key}

        # -- the chat request the provider got, and the raw answer
        s, b, h = http("POST", url, {"model": "x/oai", "prompt": "Say hi", "max_tokens": 5,
                                     "stop": ["\n"], "temperature": 0.3, "user": "u1"}, auth)
        assert s == 200 and b["object"] == "text_completion", (s, b)
        assert b["choices"] == [{"index": 0, "text": "tok0 tok1 tok2 tok3 tok4",
                                 "finish_reason": "length", "logprobs": None,
                                 "native_finish_reason": "length"}], b
        assert b["id"] == h["X-Generation-Id"] and b["usage"]["completion_tokens"] == 5, b
        sent = mock_last(c)["body"]
        assert sent["messages"] == [{"role": "user", "content": "Say hi"}], sent
        assert sent["stop"] == ["\n"] and sent["temperature"] == 0.3, sent
        assert "prompt" not in sent and "user" not in sent, sent
        st, hd, evs, _ = sse("POST", url, {"model": "x/oai", "prompt": "Say hi",
                                           "stream": True}, auth)
        assert st == 200 and evs[-1] == "data: [DONE]", evs[-2:]
        g = one_record(c, dp, key, hd["X-Generation-Id"])
        assert g["tokens_completion"] == 16, g

        # -- refusals name the field
        for bad, field in (({"echo": True}, "echo"), ({"suffix": "x"}, "suffix"),
                           ({"logprobs": 2}, "logprobs"), ({"best_of": 3}, "best_of"),
                           ({"prompt": ["a", "b"]}, "prompt"), ({"prompt": [1, 2]}, "prompt"),
                           ({"prompt": None}, "prompt"), ({"max_tokens": -1}, "max_tokens"),
                           ({"messages": []}, "messages")):
            s, b, _ = http("POST", url, dict({"model": "x/oai", "prompt": "x"}, **bad), auth)
            assert s == 400 and field in b["error"]["message"], (bad, s, b)
            assert b["error"]["code"] == 400, b
        s, b, _ = http("POST", url, {"model": "x/none", "prompt": "x"}, auth)
        assert s == 400 and b["error"]["metadata"]["error_type"] == "model_not_found", (s, b)
        s, b, _ = http("POST", dp.url + "/v1/completions", {"model": "x/oai", "prompt": "x"},
                       {"Authorization": "Bearer nope"})
        assert s == 401 and b["error"]["code"] == 401, (s, b)

        # -- the openai SDK through each adapter
        for slug in ("oai", "gem", "anth"):
            res = run_sdk_script("completions_check.mjs", {
                "SY_BASE_URL": dp.url + "/api/v1", "SY_KEY": key, "SY_MODEL": f"x/{slug}"})
            r = sdk_step(res, "create")
            assert r["object"] == "text_completion" and r["model"] == f"x/{slug}", r
            assert r["text"] == "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7", r
            assert r["finish"] == "length" and r["id"] == r["header_id"], r
            assert r["usage"]["completion_tokens"] == 8 and r["usage"]["cost"] > 0, r
            assert sdk_step(res, "array_prompt") == TOKENS, res
            st = sdk_step(res, "stream")
            assert st["text"] == TOKENS and st["finish"] == "stop", st
            assert st["objects"] == ["text_completion"], st
            assert st["usage"]["completion_tokens"] == 16, st
            e = res["echo"]
            assert not e["ok"] and e["status"] == 400 and "echo" in e["error"], e


if __name__ == "__main__":
    main()
