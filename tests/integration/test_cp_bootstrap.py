"""Bootstrap without SWITCHYARD_ADMIN_KEY: a fresh store gets a generated global management key
in <data-dir>/admin.key (mode 0600); the log names the file, never the key; the key works; a
restart keeps it (no new key, no new file); SIGINT shuts down cleanly (exit 0).
"""
import os
import signal
import stat
import sys

from sy_cluster import Cluster, wait_until


def main():
    with Cluster() as c:
        c.start_controlplane(env={"SWITCHYARD_ADMIN_KEY": ""}, wait=False)
        path = os.path.join(c.dir, "cp-data", "admin.key")
        wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 10,
                   what="admin.key")
        key = open(path).read().strip()
        assert key.startswith("sk-sy-mgmt-v1-") and len(key) == 14 + 64, "bad admin.key"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)
        wait_until(lambda: c.admin("GET", "/api/v1/orgs", key=key)[0] == 200, 10,
                   what="admin API with the generated key")
        assert c.admin("GET", "/api/v1/orgs")[0] == 401  # the test's default key is not set
        s, b = c.admin("GET", "/api/v1/management-keys", key=key)
        assert s == 200 and len(b["data"]) == 1 and b["data"][0]["org_id"] is None, b
        log = c.cp.log()
        assert path in log or "admin.key" in log, log
        assert key not in log, "the admin key is in the log"

        assert c.cp.stop(signal.SIGINT) == 0
        mtime = os.stat(path).st_mtime_ns
        c.start_controlplane(env={"SWITCHYARD_ADMIN_KEY": ""}, wait=False)
        wait_until(lambda: c.admin("GET", "/api/v1/orgs", key=key)[0] == 200, 10,
                   what="admin API after restart")
        assert os.stat(path).st_mtime_ns == mtime, "admin.key was rewritten"
        s, b = c.admin("GET", "/api/v1/management-keys", key=key)
        assert len(b["data"]) == 1, b
        assert key not in c.cp.log()
        assert c.cp.stop(signal.SIGTERM) == 0
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
