"""--catalog at start: deploy/catalog.demo.json imports its providers (credential from
SWITCHYARD_MOCK_KEY, sealed; workers get it decrypted) and models with their prices exactly
as written; restarting with the same file changes nothing (same seq); a changed price is one
update.
"""
import json
import os
import sys

from sy_cluster import Cluster, json_lines

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def main():
    demo = json.load(open(os.path.join(ROOT, "deploy", "catalog.demo.json")))
    with Cluster() as c:
        catalog = os.path.join(c.dir, "catalog.json")
        with open(catalog, "w") as f:
            json.dump(demo, f)
        env = {"SWITCHYARD_MOCK_KEY": "demo-mock-key"}
        c.start_controlplane(extra=["--catalog", catalog], env=env)

        s, b = c.admin("GET", "/api/v1/providers")
        assert s == 200, (s, b)
        provs = {p["slug"]: p for p in b["data"]}
        assert set(provs) == {p["slug"] for p in demo["providers"]}, provs
        assert all(p["has_api_key"] and p["api_key_env"] == "SWITCHYARD_MOCK_KEY"
                   for p in provs.values()), provs
        assert provs["mock"]["base_url"] == "http://127.0.0.1:9100/v1", provs
        s, b = c.admin("GET", "/api/v1/models")
        models = {m["id"]: m for m in b["data"]}
        assert set(models) == {m["id"] for m in demo["models"]}, models
        assert len(models) >= 5, models
        for m in demo["models"]:
            got = models[m["id"]]
            assert got["context_length"] == m["context_length"], got
            assert [e["pricing"] for e in got["endpoints"]] == \
                [e["pricing"] for e in m["endpoints"]], got
        assert len({e["provider"] for e in models["openai/gpt-5.2"]["endpoints"]}) == 2
        assert any(e["tag"] == "free" and e["pricing"]["prompt"] == "0"
                   for e in models["mistralai/devstral-2512"]["endpoints"]), models

        seq = c.admin("GET", "/health")[1]["seq"]
        assert seq == 1 + len(demo["providers"]) + len(demo["models"]), seq
        sc = c.sync_client("--until-seq", str(seq), "--timeout-ms", "8000")
        assert sc.p.wait(timeout=15) == 0, sc.log()
        wire = {l["id"]: l for l in json_lines(sc.log()) if l.get("kind") == "provider"}
        assert wire["mock"]["api_key"] == "demo-mock-key", wire

        # idempotent: the same file again changes nothing
        c.cp.stop()
        c.start_controlplane(extra=["--catalog", catalog], env=env)
        assert c.admin("GET", "/health")[1]["seq"] == seq

        # one changed price: one update
        demo["models"][0]["endpoints"][0]["pricing"]["prompt"] = "0.0000025"
        with open(catalog, "w") as f:
            json.dump(demo, f)
        c.cp.stop()
        c.start_controlplane(extra=["--catalog", catalog], env=env)
        assert c.admin("GET", "/health")[1]["seq"] == seq + 1
        s, b = c.admin("GET", "/api/v1/models/" + demo["models"][0]["id"])
        assert b["data"]["endpoints"][0]["pricing"]["prompt"] == "0.0000025", b
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
