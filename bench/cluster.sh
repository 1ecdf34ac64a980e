#!/usr/bin/env bash
# bench/cluster.sh - `make bench-cluster`: the cluster's ceiling (issue 19 §6). Synthetic
# workers push usage batches to one controlplane over the real ZeroMQ link (CURVE, as
# dataplanes do) while the admin API is probed; prints committed records/s and the admin
# API's latency per worker count, and PASS/FAIL. Not a test.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/cluster.sh [BIN_DIR]      (make bench-cluster; BIN_DIR defaults to build/release/bin)

Starts a controlplane on 127.0.0.1 (free ports), an org with credits and a key. For each count
K of synthetic workers, K usage_client processes (tests/tools/usage_client.c --distinct) each
take a credit lease and send ROUNDS batches of BATCH new usage records, each batch waiting for
its acknowledgement, as a dataplane's usage channel does; meanwhile GET /api/v1/keys/{hash}
is timed in a loop. Records/s = records acknowledged (committed) / wall time; the run checks
that the key's usage then counts every one of them (GET /api/v1/keys/{hash}).

Environment:
  BENCH_CLUSTER_WORKERS="1 4 16 64"   synthetic worker counts
  BENCH_CLUSTER_BATCH=200             records per batch (a dataplane sends at most 500)
  BENCH_CLUSTER_RECORDS=400000        records per step, shared by its workers (enough that
                                      starting the workers and their leases does not count)
  BENCH_CLUSTER_RATE=                 the c=64 req/s of one dataplane (from make bench) to
                                      turn the ceiling into a cluster size; default 7000
  BENCH_DIR=build/bench-cluster
EOF
}

case "${1:-}" in -h | --help)
	usage
	exit 0
	;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/lib.sh
. "$ROOT/deploy/lib.sh"

SY_BIN=${1:-$ROOT/build/release/bin}
SY_BIN=$(cd "$SY_BIN" 2>/dev/null && pwd) || sy_die "no binaries in $SY_BIN: make MODE=release"
SY_RUN_DIR=${BENCH_DIR:-$ROOT/build/bench-cluster}
SY_CATALOG=${SY_CATALOG:-$ROOT/deploy/catalog.demo.json}
KS=${BENCH_CLUSTER_WORKERS:-1 4 16 64}
BATCH=${BENCH_CLUSTER_BATCH:-200}
RECORDS=${BENCH_CLUSTER_RECORDS:-400000}
RATE=${BENCH_CLUSTER_RATE:-7000}
UC=$ROOT/build/release/tools/usage_client
[ -x "$UC" ] || sy_die "no $UC: make bench-cluster builds it"
sy_need_stack

SY_MOCK_PORT=$(sy_free_ports 1)
SY_ADMIN_PORT=$(sy_free_ports 1)
SY_ZMQ_PORT=$(sy_free_ports 3)
sy_fresh_state bench-mock-provider-key
trap 'sy_stop_all' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sy_keys synth # the synthetic workers' CURVE key, authorized like a dataplane's
sy_say "starting the controlplane"
sy_start_controlplane
ADMIN=http://127.0.0.1:$SY_ADMIN_PORT
ORG=$(sy_admin "$ADMIN" "$SY_ADMIN_KEY" POST /api/v1/orgs '{"name":"cluster"}' | sy_json data.id)
sy_admin "$ADMIN" "$SY_ADMIN_KEY" POST "/api/v1/orgs/$ORG/credits" \
	'{"amount":1000000,"note":"bench"}' >/dev/null
HASH=$(sy_admin "$ADMIN" "$SY_ADMIN_KEY" POST /api/v1/keys "{\"name\":\"synth\",\"org_id\":\"$ORG\"}" |
	sy_json data.hash)

# Each record costs 1e6 money units (1e-4 USD): the key's usage counts the settled records.
COST=1000000
settled() {
	sy_admin "$ADMIN" "$SY_ADMIN_KEY" GET "/api/v1/keys/$HASH" | sy_json data.usage |
		"$SY_PY" -c 'import sys; print(round(float(sys.stdin.read()) * 1e4))'
}

RAW=$SY_RUN_DIR/cluster.raw
: >"$RAW"
step=0
for k in $KS; do
	step=$((step + 1))
	rounds=$(((RECORDS + k * BATCH - 1) / (k * BATCH)))
	sy_say "$k synthetic workers: $rounds rounds of $BATCH records each"
	before=$(settled)
	# the admin probe runs until the stop file appears
	rm -f "$SY_RUN_DIR/stop"
	"$SY_PY" - "$ADMIN" "$SY_ADMIN_KEY" "$HASH" "$SY_RUN_DIR/stop" >"$SY_RUN_DIR/admin-$k.txt" <<'PY' &
import http.client, os, sys, time, urllib.parse
url, key, h, stop = sys.argv[1:5]
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
lat = []
while not os.path.exists(stop):
    t = time.perf_counter()
    conn.request("GET", f"/api/v1/keys/{h}", headers={"Authorization": f"Bearer {key}"})
    r = conn.getresponse()
    r.read()
    lat.append((time.perf_counter() - t) * 1000)
    if r.status != 200:
        print(f"ADMIN status={r.status}")
        sys.exit(1)
    time.sleep(0.005)
lat.sort()
print(f"ADMIN n={len(lat)} p50_ms={lat[len(lat) // 2]:.2f} p99_ms={lat[len(lat) * 99 // 100]:.2f} "
      f"max_ms={lat[-1]:.2f}")
PY
	probe=$!
	t0=$(date +%s.%N)
	pids=()
	for i in $(seq "$k"); do
		"$UC" --usage "tcp://127.0.0.1:$((SY_ZMQ_PORT + 2))" --key-hash "$HASH" --org "$ORG" \
			--cost "$COST" --count "$BATCH" --repeat "$rounds" --distinct --summary \
			--prefix "s$step-k$k-w$i" --timeout-ms 60000 \
			--curve-secret-file "$SY_RUN_DIR/keys/synth.key" \
			--curve-server-key "$SY_RUN_DIR/keys/controlplane.pub" >"$SY_RUN_DIR/uc-$k-$i.out" &
		pids+=($!)
	done
	fails=0
	for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
	t1=$(date +%s.%N)
	touch "$SY_RUN_DIR/stop"
	wait "$probe" || true
	acked=$(cat "$SY_RUN_DIR"/uc-"$k"-*.out | "$SY_PY" -c '
import json, sys
print(sum(j.get("acked", 0) for j in map(json.loads, sys.stdin) if "rounds" in j))')
	stored=$(($(settled) - before))
	echo "k=$k acked=$acked stored=$stored fails=$fails seconds=$(echo "$t1 - $t0" | bc -l)" \
		"$(sed 's/^ADMIN //' "$SY_RUN_DIR/admin-$k.txt")" >>"$RAW"
done

"$SY_PY" - "$RAW" "$SY_RUN_DIR/results.md" "$BATCH" "$RATE" <<'PY'
import sys

raw, md_path, batch, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
lines = [f"batches of {batch} records, each waiting for its acknowledgement", "",
         "| synthetic workers | records | settled | failed workers | records/s | admin p50 (ms) | "
         "admin p99 (ms) |", "|---:|---:|---:|---:|---:|---:|---:|"]
best, best_p99, ok, verdicts = 0.0, None, True, []
for line in open(raw):
    r = dict(kv.split("=") for kv in line.split())
    k, acked, stored = int(r["k"]), int(r["acked"]), int(r["stored"])
    rps = acked / float(r["seconds"])
    p50, p99 = float(r.get("p50_ms", "nan")), float(r.get("p99_ms", "nan"))
    lines.append(f"| {k} | {acked} | {stored} | {r['fails']} | {rps:.0f} | {p50:.1f} | {p99:.1f} |")
    if int(r["fails"]) or stored != acked:
        ok = False
        verdicts.append(f"FAIL  {k} workers: {r['fails']} failed, {stored} of {acked} acknowledged "
                        "records settled")
    if rps > best:
        best, best_p99 = rps, p99
good = best >= 100000
verdicts.append(f"{'PASS' if good else 'FAIL'}  ceiling >= 100000 records/s: {best:.0f} "
                f"({best / 100000:.2f}x the target)")
p99_ok = best_p99 is not None and best_p99 <= 50
verdicts.append(f"{'PASS' if p99_ok else 'FAIL'}  admin p99 <= 50 ms at the ceiling: {best_p99:.1f} ms")
verdicts.append(f"INFO  at {rate:.0f} req/s per dataplane (c=64), the ceiling is "
                f"{best / rate:.0f} dataplanes of one worker each")
ok = ok and good and p99_ok
out = "\n".join(lines) + "\n\n" + "\n".join(verdicts) + "\n"
open(md_path, "w").write(out)
print()
print(out)
sys.exit(0 if ok else 1)
PY
