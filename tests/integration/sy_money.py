"""Helpers for the money scenarios (test_money_*.py): exact request costs, the admin API's
credits and leases, the audit command.

The demo model 'mock/echo' costs 0.000001 USD per prompt token and 0.000002 per completion
token. A request with max_tokens=N to a mock answering N tokens reserves exactly what it
costs (prompt estimate = the mock's prompt count = ceil(chars / 4)), so tests can count.
"""
import math
import os
import subprocess
import time
from decimal import Decimal

from sy_cluster import BIN, http, wait_until

PROMPT_PRICE, COMPLETION_PRICE = Decimal("0.000001"), Decimal("0.000002")
TEXT = "hello world!"  # 12 characters: 3 prompt tokens
TOKENS = 16


def body(model="mock/echo", text=TEXT, max_tokens=TOKENS, **extra):
    b = {"model": model, "messages": [{"role": "user", "content": text}],
         "max_tokens": max_tokens}
    b.update(extra)
    return b


def cost(text=TEXT, completion=TOKENS):
    """USD (Decimal) of one request for body(text=text) answered with `completion` tokens."""
    return math.ceil(len(text) / 4) * PROMPT_PRICE + completion * COMPLETION_PRICE


def credits(c, org):
    """The admin view of an org's money: total_credits, debits_posted, debits_pending, ..."""
    s, b = c.admin("GET", f"/api/v1/orgs/{org}/credits")
    assert s == 200, (s, b)
    return b["data"]


def leases(c, org):
    s, b = c.admin("GET", f"/api/v1/orgs/{org}/leases")
    assert s == 200, (s, b)
    return b["data"]


def wait_settled(c, org, posted=None, timeout=20):
    """Until the org holds no pending debits (every lease returned or expired) and, if given,
    its posted debits reach `posted` USD; returns its credits view."""
    def done():
        m = credits(c, org)
        if m["debits_pending"] != 0:
            return None
        if posted is not None and not math.isclose(m["debits_posted"], float(posted),
                                                    abs_tol=1e-12):
            return None
        return m
    return wait_until(done, timeout, 0.1, what=f"org {org} settled")


def audit(c):
    """Run switchyard-controlplane --audit on the cluster's data dir: (exit code, output)."""
    p = subprocess.run([os.path.join(BIN, "switchyard-controlplane"), "--audit", "--data-dir",
                        os.path.join(c.dir, "cp-data")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace")


# OpenRouter's error type for each specific reason (metadata.reason); others keep their own
OPENROUTER_TYPES = {"insufficient_credits": "payment_required",
                    "key_limit_exceeded": "payment_required",
                    "budget_exceeded": "permission_denied", "forbidden": "permission_denied",
                    "guardrail_budget_exceeded": "permission_denied",
                    "rate_limited": "rate_limit_exceeded",
                    "provider_error": "provider_unavailable"}


def is_error(b, code, reason=None):
    """OpenRouter's envelope with this code (and metadata.reason, with OpenRouter's name for it
    in metadata.error_type)."""
    assert isinstance(b, dict) and set(b) == {"error"}, b
    e = b["error"]
    assert e["code"] == code and isinstance(e["message"], str) and e["message"], b
    if reason:
        md = e.get("metadata", {})
        assert md.get("reason") == reason, b
        assert md.get("error_type") == OPENROUTER_TYPES.get(reason, reason), b
    return e


def dp_credits(dp, key):
    s, b, _ = http("GET", dp.url + "/api/v1/credits", headers={"Authorization": "Bearer " + key})
    assert s == 200, (s, b)
    return b["data"]


def wait_dp_credits(dp, key, total_credits, timeout=10):
    """Until the dataplane shows this total_credits (a top-up reached the workers)."""
    return wait_until(lambda: math.isclose(dp_credits(dp, key)["total_credits"],
                                           float(total_credits), abs_tol=1e-12) or None,
                      timeout, 0.05, what=f"total_credits {total_credits} on the dataplane")


def wait_key(dp, *keys, timeout=10):
    """Until the dataplane knows every one of keys (a new key arrives with an update)."""
    for k in keys:
        wait_until(lambda: http("GET", dp.url + "/api/v1/key",
                                headers={"Authorization": "Bearer " + k})[0] == 200,
                   timeout, 0.05, what="the key on the dataplane")


def wait_minute_start(margin=45):
    """Sleep into a fresh UTC minute when fewer than 60 - margin seconds are left of this one,
    so a per-minute count does not straddle a window boundary."""
    s = time.time() % 60
    if s > margin:
        time.sleep(60 - s + 0.2)
