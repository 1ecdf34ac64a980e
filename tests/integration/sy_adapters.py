"""Helpers for the provider-adapter scenarios (test_adapter_*.py): providers of each wire
format served by the mock, models priced with cache reads and writes, exact costs, and the
upstream request the mock saw last.
"""
import json
from decimal import Decimal

from sy_cluster import http

# USD per token: prompt, completion, cache read, cache write
PRICES = {"prompt": "0.000003", "completion": "0.000015",
          "input_cache_read": "0.0000003", "input_cache_write": "0.00000375"}


def add_provider(c, slug, adapter, name=None, **fields):
    """A provider of this adapter on the mock under /<slug>: Anthropic's base URL ends in
    /v1, Gemini's in /v1beta, OpenAI's in /v1."""
    version = "v1beta" if adapter == "gemini" else "v1"
    c.add_mock_provider(slug, name or slug, adapter=adapter,
                        base_url=f"http://127.0.0.1:{c.mock_port}/{slug}/{version}", **fields)


def add_model(c, model_id, endpoints, context_length=200000):
    """endpoints: [(provider, provider model id)] (more fields as a third dict), priced PRICES."""
    eps = []
    for e in endpoints:
        ep = {"provider": e[0], "provider_model_id": e[1], "pricing": dict(PRICES)}
        if len(e) > 2:
            ep.update(e[2])
        eps.append(ep)
    s, b = c.admin("POST", "/api/v1/models", {"id": model_id, "name": model_id,
                                              "context_length": context_length,
                                              "endpoints": eps})
    assert s in (200, 201), (s, b)


def cost(usage):
    """The exact cost of a usage object at PRICES: uncached prompt tokens, cache reads, cache
    writes and completion tokens each at their own price."""
    p = {k: Decimal(v) for k, v in PRICES.items()}
    cached = usage["prompt_tokens_details"]["cached_tokens"]
    written = usage["prompt_tokens_details"]["cache_write_tokens"]
    return ((usage["prompt_tokens"] - cached - written) * p["prompt"] +
            cached * p["input_cache_read"] + written * p["input_cache_write"] +
            usage["completion_tokens"] * p["completion"])


def same_money(got, want):
    """A JSON cost (a float as the gateway printed it) equals an exact Decimal."""
    return Decimal(repr(got)) == want


def mock_last(c):
    """The last chat request the mock received: {path, authorization, body}."""
    s, b, _ = http("GET", f"http://127.0.0.1:{c.mock_port}/mock/last")
    assert s == 200, (s, b)
    return b


def text_of(data):
    """The content deltas of a stream's data events, joined."""
    return "".join(d["choices"][0]["delta"].get("content") or "" for d in data
                   if isinstance(d, dict) and d.get("choices"))


def reasoning_of(data):
    return "".join(d["choices"][0]["delta"].get("reasoning") or "" for d in data
                   if isinstance(d, dict) and d.get("choices"))


def tool_frags(data):
    return [tc for d in data if isinstance(d, dict) and d.get("choices")
            for tc in d["choices"][0]["delta"].get("tool_calls") or []]


def one_record(c, dp, key, gen_id):
    """The generation's usage record (exactly one exists per id)."""
    g = c.generation(dp, key, gen_id)
    assert g["id"] == gen_id, g
    return g


def dumps(x):
    return json.dumps(x, sort_keys=True)
