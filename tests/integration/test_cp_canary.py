"""No secret at rest or in logs: provider credentials (set over REST, rotated, and imported
from a catalog's environment variable), every plaintext API key and management key, and the
KEK never appear in the LMDB files or the controlplane's log (debug level), and key hashes
never appear in the log. As a check that the canaries are real, the provider credential does
reach a worker (sync_client) decrypted.
"""
import json
import os
import secrets
import sys

from sy_cluster import KEK, Cluster, json_lines, wait_until


def main():
    canary1 = "CANARY-prov-" + secrets.token_hex(12)
    canary2 = "CANARY-rotated-" + secrets.token_hex(12)
    canary3 = "CANARY-catalog-" + secrets.token_hex(12)
    with Cluster() as c:
        catalog = os.path.join(c.dir, "catalog.json")
        with open(catalog, "w") as f:
            json.dump({"providers": [{"slug": "fromenv", "base_url": "https://example.invalid/v1",
                                      "api_key_env": "SY_CANARY_PROVIDER_KEY"}]}, f)
        env = {"SY_CANARY_PROVIDER_KEY": canary3}
        c.start_controlplane(extra=["--log-level", "debug", "--catalog", catalog], env=env)

        s, b = c.admin("POST", "/api/v1/providers", {"slug": "p1", "base_url": "https://x/v1",
                                                     "api_key": canary1})
        assert s == 201 and b["data"]["has_api_key"], (s, b)
        s, b = c.admin("PATCH", "/api/v1/providers/p1", {"api_key": canary2})
        assert s == 200 and canary2 not in json.dumps(b), (s, b)
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "acme"})
        org = b["data"]["id"]
        plains, hashes = [c.admin_key], []
        for i in range(5):
            s, b = c.admin("POST", "/api/v1/keys", {"name": f"k{i}", "org_id": org})
            assert s == 201, (s, b)
            plains.append(b["key"])
            hashes.append(b["data"]["hash"])
        s, b = c.admin("POST", "/api/v1/management-keys", {"name": "ops", "org_id": org})
        assert s == 201, (s, b)
        plains.append(b["key"])
        hashes.append(b["data"]["hash"])
        # the scoped key works, so it is a real key
        assert c.admin("GET", "/api/v1/keys", key=b["key"])[0] == 200
        s, b = c.admin("GET", "/api/v1/providers/fromenv")
        assert s == 200 and b["data"]["has_api_key"] is True, (s, b)

        # workers do get the credentials, decrypted
        seq = c.admin("GET", "/health")[1]["seq"]
        sc = c.sync_client("--until-seq", str(seq), "--timeout-ms", "8000")
        assert sc.p.wait(timeout=15) == 0, sc.log()
        provs = {l["id"]: l for l in json_lines(sc.log()) if l.get("kind") == "provider"}
        assert provs["p1"]["api_key"] == canary2, provs
        assert provs["fromenv"]["api_key"] == canary3, provs
        c.procs.remove(sc)  # its log legitimately holds the credentials

        rc = c.cp.stop()
        assert rc == 0, rc
        data_dir = os.path.join(c.dir, "cp-data")
        files = {n: open(os.path.join(data_dir, n), "rb").read() for n in os.listdir(data_dir)}
        assert "data.mdb" in files and len(files["data.mdb"]) > 0, files.keys()
        assert "admin.key" not in files, files.keys()  # SWITCHYARD_ADMIN_KEY was given
        log = c.cp.log()
        assert "ready:" in log, log
        for secret in [canary1, canary2, canary3, KEK] + plains:
            for name, blob in files.items():
                assert secret.encode() not in blob, f"a secret is in {name}"
            assert secret not in log, "a secret is in the controlplane log"
        # and the stored hashes are real (so the grep above looked at the right file)
        assert hashes[0].encode() in files["data.mdb"]
        for h in hashes:
            assert h not in log, "a key hash is in the controlplane log"
        # sanity: the canary search would have found a plaintext if there was one
        assert b"fromenv" in files["data.mdb"]
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
