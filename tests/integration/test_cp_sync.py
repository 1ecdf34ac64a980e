"""Controlplane state sync (Clone pattern) with the sync_client test tool:
- org, provider (with a credential), model and key created over REST all arrive in a
  snapshot (seq 0 items, then snapshot_end with the store's seq); the provider's credential
  arrives decrypted and its ciphertext does not;
- live updates follow with consecutive seqs: disabling the key, renaming the org, and deleting
  a second org together with its disabled key (one transaction, two seqs);
- after a controlplane restart a fresh snapshot shows the same state at the same seq.
"""
import signal
import sys

from sy_cluster import Cluster, json_lines, wait_until


def snapshot_state(lines):
    """{topic: item without src/seq} from a sync_client run, plus the snapshot_end line."""
    items = {l["topic"]: {k: v for k, v in l.items() if k not in ("src", "seq")}
             for l in lines if l["src"] == "snapshot"}
    end = [l for l in lines if l["src"] == "snapshot_end"]
    assert len(end) == 1, lines
    assert all(l["seq"] == 0 for l in lines if l["src"] == "snapshot"), lines
    return items, end[0]


def run_snapshot(c):
    """A sync_client that exits once it is in sync; returns its parsed lines."""
    seq = c.admin("GET", "/health")[1]["seq"]
    sc = c.sync_client("--until-seq", str(seq), "--timeout-ms", "8000")
    assert sc.p.wait(timeout=15) == 0, sc.log()
    return json_lines(sc.log())


def main():
    with Cluster() as c:
        c.start_controlplane()
        s, b = c.admin("POST", "/api/v1/providers", {
            "slug": "mock", "name": "Mock", "base_url": "http://127.0.0.1:9/v1",
            "api_key": "provider-secret-for-workers"})
        assert s == 201, (s, b)
        assert b["data"]["has_api_key"] is True and "api_key" not in b["data"], b
        s, b = c.admin("POST", "/api/v1/models", {
            "id": "mock/echo", "name": "Echo", "context_length": 8192,
            "input_modalities": ["text"],
            "endpoints": [{"provider": "mock", "provider_model_id": "echo",
                           "pricing": {"prompt": "0.000001", "completion": "0.000002"}}]})
        assert s == 201, (s, b)
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "acme"})
        assert s == 201, (s, b)
        org = b["data"]["id"]
        s, b = c.admin("POST", "/api/v1/keys", {"name": "k1", "org_id": org, "limit": 5})
        assert s == 201, (s, b)
        key_hash = b["data"]["hash"]
        s, b = c.admin("POST", "/api/v1/orgs", {"name": "doomed"})
        doomed = b["data"]["id"]
        s, b = c.admin("POST", "/api/v1/keys", {"name": "k2", "org_id": doomed,
                                                "disabled": True})
        assert s == 201, (s, b)
        doomed_key = b["data"]["hash"]
        seq0 = c.admin("GET", "/health")[1]["seq"]
        assert seq0 == 7, seq0  # bootstrap mkey + 6 entities, one seq each

        # SUB first, then the snapshot; wait until the client has seen a heartbeat after it
        sc = c.sync_client("--until-seq", str(seq0 + 4), "--timeout-ms", "20000")
        wait_until(lambda: any(l["src"] == "ready" for l in json_lines(sc.log())), 10,
                   what="sync_client ready")
        items, end = snapshot_state(json_lines(sc.log()))
        assert end["seq"] == seq0 and end["count"] == len(items) == 7, (end, items)
        assert items[f"org/{org}"]["name"] == "acme", items
        assert items[f"key/{key_hash}"]["disabled"] is False, items
        assert items[f"key/{key_hash}"]["org_id"] == org, items
        assert items[f"key/{key_hash}"]["limit"] == 5 * 10**10, items  # money units
        prov = items["provider/mock"]
        assert prov["api_key"] == "provider-secret-for-workers", prov
        assert prov["has_api_key"] is True and prov["api_key_enc_len"] == 0, prov
        model = items["model/mock/echo"]
        assert model["endpoints"] == [{"provider": "mock", "provider_model_id": "echo",
                                       "prompt": "0.000001", "completion": "0.000002"}], model
        assert sum(1 for t in items if t.startswith("mkey/")) == 1, items

        # live updates, consecutive seqs
        s, b = c.admin("PATCH", f"/api/v1/keys/{key_hash}", {"disabled": True})
        assert s == 200 and b["data"]["disabled"] is True, (s, b)
        s, b = c.admin("PATCH", f"/api/v1/orgs/{org}", {"name": "acme-renamed"})
        assert s == 200, (s, b)
        s, b = c.admin("DELETE", f"/api/v1/orgs/{doomed}")
        assert s == 200 and b == {"deleted": True}, (s, b)
        assert sc.p.wait(timeout=20) == 0, sc.log()
        ups = [l for l in json_lines(sc.log()) if l["src"] == "update"]
        assert [u["seq"] for u in ups] == [seq0 + 1, seq0 + 2, seq0 + 3, seq0 + 4], ups
        assert ups[0]["topic"] == f"key/{key_hash}" and ups[0]["disabled"] is True, ups
        assert ups[0]["deleted"] is False, ups
        assert ups[1]["topic"] == f"org/{org}" and ups[1]["name"] == "acme-renamed", ups
        deleted = {u["topic"] for u in ups[2:] if u["deleted"]}
        assert deleted == {f"key/{doomed_key}", f"org/{doomed}"}, ups

        # restart: the same state, the same seq
        before, end_before = snapshot_state(run_snapshot(c))
        assert end_before["seq"] == seq0 + 4, end_before
        rc = c.cp.stop(signal.SIGTERM)
        assert rc == 0, rc
        c.start_controlplane()
        after, end_after = snapshot_state(run_snapshot(c))
        assert end_after["seq"] == seq0 + 4, end_after
        assert after == before, (before, after)
        assert after[f"key/{key_hash}"]["disabled"] is True, after
        assert f"org/{doomed}" not in after and f"key/{doomed_key}" not in after, after
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
