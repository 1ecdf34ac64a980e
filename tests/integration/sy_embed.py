"""Helpers for the embeddings scenarios (test_embeddings_*.py): embeddings models on mock
providers, POST /embeddings, the vectors the mock makes for an input, exact costs."""
import base64
import math
import struct
from decimal import Decimal

from sy_cluster import http, wait_until

PRICE = "0.00000002"  # USD per input token


def add_embed_model(c, model_id, endpoints, price=PRICE):
    """An embeddings model: endpoints [(provider, provider model id)], priced per input token."""
    eps = [{"provider": p, "provider_model_id": m,
            "pricing": {"prompt": price, "completion": "0"}} for p, m in endpoints]
    s, b = c.admin("POST", "/api/v1/models", {
        "id": model_id, "name": model_id, "context_length": 8192,
        "input_modalities": ["text"], "output_modalities": ["embeddings"], "endpoints": eps})
    assert s in (200, 201), (s, b)


def wait_embed_models(dp, key, *ids):
    """Until GET /models?output_modalities=embeddings lists every one of ids."""
    def have():
        s, b, _ = http("GET", dp.url + "/api/v1/models?output_modalities=embeddings",
                       headers={"Authorization": "Bearer " + key})
        return s == 200 and set(ids) <= {m["id"] for m in b["data"]}
    wait_until(have, 10, what=f"embeddings models {ids}")


def embed(dp, key, body, path="/api/v1/embeddings"):
    """POST /embeddings: (status, JSON, headers)."""
    return http("POST", dp.url + path, body, {"Authorization": "Bearer " + key}, 30)


def mock_vectors(c, inputs, dims=None):
    """The mock's own vectors for inputs (asked of it directly, OpenAI format)."""
    body = {"model": "x", "input": inputs}
    if dims:
        body["dimensions"] = dims
    s, b, _ = http("POST", f"http://127.0.0.1:{c.mock_port}/v1/embeddings", body,
                   {"Authorization": "Bearer direct"})
    assert s == 200, (s, b)
    return [d["embedding"] for d in b["data"]]


def tokens_of(text):
    """The mock's count for one text input: ceil(characters / 4), at least 1."""
    return max(1, math.ceil(len(text) / 4))


def cost(tokens, price=PRICE):
    return tokens * Decimal(price)


def same_money(got, want):
    """A JSON cost (a float as the gateway printed it) equals an exact Decimal."""
    return Decimal(repr(got)) == want


def floats_of(b64):
    """OpenAI's base64 encoding: little-endian float32 values."""
    raw = base64.b64decode(b64)
    return list(struct.unpack("<%df" % (len(raw) // 4), raw))
