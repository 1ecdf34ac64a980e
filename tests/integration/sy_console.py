"""The console's browser tests' stage: run sdk/console_check.mjs (puppeteer-core driving
Debian's /usr/bin/chromium, or /usr/bin/firefox-esr) and return its result. A missing browser, node or npm is a
failure, not a skip. Screenshots go to build/console/."""
import json
import os
import shutil
import subprocess
import sys

from sy_cluster import SDK_DIR, run_sdk_script

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOTS = os.path.join(ROOT, "build", "console")
BROWSERS = {"chromium": "/usr/bin/chromium", "firefox": "/usr/bin/firefox-esr"}


def run_console(scenario, env, browser="chromium"):
    for tool in (BROWSERS[browser], "node", "npm"):
        assert shutil.which(tool), f"{tool} is missing: run `make deps` (test dependencies)"
    # the SDK tests share SDK_DIR: install again when an older node_modules lacks puppeteer-core
    if not os.path.isdir(os.path.join(SDK_DIR, "node_modules", "puppeteer-core")):
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=SDK_DIR,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        assert p.returncode == 0, "npm install failed:\n" + p.stdout.decode(errors="replace")
    res = run_sdk_script("console_check.mjs", dict(env, SY_SCENARIO=scenario, SY_BROWSER=browser,
                              SY_SHOTS=os.path.join(SHOTS, browser) if browser != "chromium"
                              else SHOTS),
                         timeout=240)
    sys.stderr.write(json.dumps(res, indent=1)[:6000] + "\n")
    return res


def step(res, name):
    """The value of one step, asserting it succeeded."""
    r = res["steps"][name]
    assert r["ok"], (name, r.get("error"))
    return r["value"]


def assert_clean(res):
    """No console error, failed request, unexpected error response, dialog or request to
    anywhere but the controlplane in the page."""
    for what in ("console_errors", "failed_requests", "bad_responses", "dialogs",
                 "external_requests"):
        assert not res[what], (what, res[what])
