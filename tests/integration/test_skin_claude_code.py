"""Claude Code (`@anthropic-ai/claude-code` from npm) pointed at the gateway gets an answer in
print mode (`claude -p`) through each adapter of the mock: ANTHROPIC_BASE_URL is the dataplane,
ANTHROPIC_AUTH_TOKEN the key, ANTHROPIC_MODEL a mock model; telemetry, update checks and other
non-essential traffic are off and HOME is a fresh directory. Claude Code sends its real
request (system blocks with cache_control, two dozen tools, adaptive thinking, effort,
context_management, a system turn mid-conversation, anthropic-beta flags); the mock calls the
first tool, Claude Code answers with a tool_result, and the mock's words end the run. Each of
its requests leaves one usage record with a cost. Node and npm are required: without them (or
without the npm package) this test fails.
"""
import json
import os
import subprocess
import tempfile

import sy_money as M
from sy_adapters import add_model, add_provider
from sy_cluster import SDK_DIR, Cluster, sdk_modules

TOKENS = " ".join(f"tok{i}" for i in range(16))


def claude(dp, key, model):
    home = tempfile.mkdtemp(prefix="sy-claude-")
    env = {"PATH": os.environ["PATH"], "HOME": home,
           "ANTHROPIC_BASE_URL": dp.url + "/api", "ANTHROPIC_AUTH_TOKEN": key,
           "ANTHROPIC_MODEL": model, "ANTHROPIC_SMALL_FAST_MODEL": model,
           "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1",
           "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    exe = os.path.join(SDK_DIR, "node_modules", ".bin", "claude")
    assert os.path.exists(exe), "@anthropic-ai/claude-code did not install its claude binary"
    p = subprocess.run([exe, "-p", "Say hello", "--output-format", "json"], env=env, cwd=home,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, (model, p.returncode, out[-2000:],
                               p.stderr.decode(errors="replace")[-2000:])
    return json.loads(out.strip().splitlines()[-1])


def main():
    sdk_modules()
    with Cluster() as c:
        c.start_mock()
        c.start_controlplane()
        org, key, _ = c.setup_demo()
        dp = c.start_dataplane()
        for slug, adapter in (("oai", "openai"), ("gem", "gemini"), ("anth", "anthropic")):
            add_provider(c, slug, adapter, slug.upper())
            add_model(c, f"x/{slug}", [(slug, "echo")])
        c.wait_models(dp, key, "x/oai", "x/gem", "x/anth")
        for slug in ("oai", "gem", "anth"):
            r = claude(dp, key, f"x/{slug}")
            assert r["type"] == "result" and r["is_error"] is False, r
            assert r["result"] == TOKENS, r
            # the mock called a tool first: Claude Code answered it, then got the words
            assert r["num_turns"] == 2, r
            usage = r["modelUsage"][f"x/{slug}"]
            assert usage["outputTokens"] > 16 and usage["inputTokens"] > 1000, usage
        # every request Claude Code made was metered: at least its two turns per model
        M.wait_settled(c, org)
        s, b = c.admin("GET", f"/api/v1/activity?org_id={org}&group_by=model")
        assert s == 200, (s, b)
        rows = {r["model"]: r for r in b["data"]}
        for slug in ("oai", "gem", "anth"):
            r = rows[f"x/{slug}"]
            assert r["requests"] >= 2 and r["usage"] > 0 and r["completion_tokens"] > 16, r


if __name__ == "__main__":
    main()
