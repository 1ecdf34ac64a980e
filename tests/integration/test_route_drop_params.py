"""Parameters a provider does not support are dropped (API-NOTES): the upstream body, as the
mock saw it (GET /mock/last), lacks the request's parameters that the endpoint's
supported_parameters (else the model's) do not list, and keeps the rest, the messages and
the tools. An endpoint that lists nothing gets every parameter. With require_parameters the
same request is refused instead (404 naming the parameters).
"""
from sy_cluster import Cluster, http

MSGS = [{"role": "user", "content": "Drop what you cannot use."}]
TOOLS = [{"type": "function", "function": {
    "name": "get_time", "parameters": {"type": "object", "properties": {
        "zone": {"type": "string"}}, "required": ["zone"]}}}]
PARAMS = {"temperature": 0.5, "top_p": 0.9, "seed": 7, "max_completion_tokens": 20,
          "frequency_penalty": 0.1}


def model(c, mid, ep_params=None, model_params=None):
    ep = {"provider": "mock", "provider_model_id": "echo",
          "pricing": {"prompt": "0.000001", "completion": "0.000002"}}
    body = {"id": mid, "name": mid, "context_length": 8192, "endpoints": [ep]}
    if ep_params is not None:
        ep["supported_parameters"] = ep_params
    if model_params is not None:
        body["supported_parameters"] = model_params
    s, b = c.admin("POST", "/api/v1/models", body)
    assert s == 201, (s, b)


def upstream_body(c):
    return http("GET", f"http://127.0.0.1:{c.mock_port}/mock/last")[1]["body"]


def main():
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        _, key, _ = c.setup_demo()
        model(c, "p/strict", ep_params=["max_tokens", "temperature"],
              model_params=["top_p", "seed", "frequency_penalty"])
        model(c, "p/by-model", model_params=["top_p", "seed", "tools"])
        model(c, "p/open")
        dp = c.start_dataplane()
        c.wait_models(dp, key, "p/strict", "p/by-model", "p/open")

        # the endpoint's list wins over the model's
        s, b, _ = c.chat(dp, key, dict(PARAMS, model="p/strict", messages=MSGS, tools=TOOLS))
        assert s == 200, (s, b)
        up = upstream_body(c)
        assert up["model"] == "echo" and up["messages"] == MSGS and up["tools"] == TOOLS, up
        assert up["temperature"] == 0.5 and up["max_completion_tokens"] == 20, up
        for dropped in ("top_p", "seed", "frequency_penalty"):
            assert dropped not in up, (dropped, up)

        # no endpoint list: the model's
        s, b, _ = c.chat(dp, key, dict(PARAMS, model="p/by-model", messages=MSGS))
        assert s == 200, (s, b)
        up = upstream_body(c)
        assert up["top_p"] == 0.9 and up["seed"] == 7, up
        for dropped in ("temperature", "max_completion_tokens", "frequency_penalty"):
            assert dropped not in up, (dropped, up)

        # streams keep stream and stream_options whatever the lists say
        s, _, events, _ = c.chat_stream(dp, key, dict(PARAMS, model="p/strict", messages=MSGS))
        assert s == 200 and events[-1] == "data: [DONE]", (s, events)
        up = upstream_body(c)
        assert up["stream"] is True and up["stream_options"]["include_usage"] is True, up
        assert "top_p" not in up and up["temperature"] == 0.5, up

        # nothing listed anywhere: nothing is known to be unsupported
        s, b, _ = c.chat(dp, key, dict(PARAMS, model="p/open", messages=MSGS))
        assert s == 200, (s, b)
        up = upstream_body(c)
        for k, v in PARAMS.items():
            assert up[k] == v, (k, up)

        s, b, _ = c.chat(dp, key, dict(PARAMS, model="p/strict", messages=MSGS,
                                       provider={"require_parameters": True}))
        assert s == 404 and "require_parameters" in b["error"]["message"], (s, b)
        assert "top_p" in b["error"]["message"], b
    print("ok")


if __name__ == "__main__":
    main()
