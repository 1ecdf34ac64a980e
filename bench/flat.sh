#!/usr/bin/env bash
# bench/flat.sh - `make bench-flat`: a request must not cost more when the catalog and the key
# count grow (issue 19 §5). Three runs of the same c=64 wrk load through the same dataplane:
# 1 key and 10 models; 1 000 000 keys and 10 models; 1 000 000 keys and 10 000 models. Prints
# the throughputs, their difference (target < 5 %) and the worker's memory per key and per
# model. Not a test.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/flat.sh [BIN_DIR]        (make bench-flat; BIN_DIR defaults to build/release/bin)

Keys are written straight into the stopped controlplane's store (switchyard-bench-seed,
bench/seed.c) and reach the dataplane through the ordinary snapshot; models come from a
generated catalog (copies of the demo catalog's first model) imported at start.

Environment:
  BENCH_FLAT_KEYS=1000000  BENCH_FLAT_MODELS=10000   the big state
  BENCH_DURATION=10s       BENCH_WARMUP=2s           BENCH_DP_WORKERS=2
  BENCH_MOCK_THREADS=4     BENCH_DIR=build/bench-flat
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
SY_RUN_DIR=${BENCH_DIR:-$ROOT/build/bench-flat}
DEMO_CATALOG=$ROOT/deploy/catalog.demo.json
SY_CATALOG=$DEMO_CATALOG
KEYS=${BENCH_FLAT_KEYS:-1000000}
MODELS=${BENCH_FLAT_MODELS:-10000}
DUR=${BENCH_DURATION:-10s}
WARM=${BENCH_WARMUP:-2s}
WORKERS=${BENCH_DP_WORKERS:-2}
export BENCH_MODEL=${BENCH_MODEL:-openai/gpt-5.2}
export BENCH_MAX_TOKENS=${BENCH_MAX_TOKENS:-64}
SEED=$ROOT/build/release/tools/switchyard-bench-seed
[ -x "$SEED" ] || sy_die "no $SEED: make bench-flat builds it"
sy_need_stack
sy_need_cmd wrk

SY_MOCK_PORT=$(sy_free_ports 1)
SY_ADMIN_PORT=$(sy_free_ports 1)
SY_ZMQ_PORT=$(sy_free_ports 3)
DP_PORT=$(sy_free_ports 1)
sy_fresh_state bench-mock-provider-key
trap 'sy_stop_all' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# catalog N: the demo catalog grown to N models (copies of its first one, "bench/model-<i>")
catalog() {
	"$SY_PY" - "$DEMO_CATALOG" "$1" "$SY_RUN_DIR/catalog-$1.json" <<'PY'
import copy, json, sys
c = json.load(open(sys.argv[1]))
n, base = int(sys.argv[2]), c["models"][0]
for i in range(n - len(c["models"])):
    m = copy.deepcopy(base)
    m["id"], m["name"] = f"bench/model-{i}", f"Bench model {i}"
    c["models"].append(m)
json.dump(c, open(sys.argv[3], "w"))
PY
	echo "$SY_RUN_DIR/catalog-$1.json"
}

# "rss_kb_max" of the dataplane's processes (its workers)
dp_rss() {
	ps -e -o pgid=,rss= | awk -v g="$(cat "$SY_RUN_DIR/pids/dataplane.pid")" \
		'$1 == g && $2 > m { m = $2 } END { print m + 0 }'
}

RAW=$SY_RUN_DIR/flat.raw
: >"$RAW"
# measure LABEL: the c=64 run against the running stack
measure() {
	local out=$SY_RUN_DIR/wrk-$1.txt
	sy_wait_chat "http://127.0.0.1:$DP_PORT" "$KEY" "$BENCH_MODEL" 60
	BENCH_PATH=/api/v1/chat/completions BENCH_KEY=$KEY BENCH_STREAM=0 wrk -t 2 -c 16 -d "$WARM" \
		-s "$ROOT/bench/chat.lua" "http://127.0.0.1:$DP_PORT" >/dev/null 2>&1
	BENCH_PATH=/api/v1/chat/completions BENCH_KEY=$KEY BENCH_STREAM=0 wrk -t 2 -c 64 -d "$DUR" \
		--timeout 10s --latency -s "$ROOT/bench/chat.lua" "http://127.0.0.1:$DP_PORT" >"$out" 2>&1 ||
		sy_die "wrk failed for $1 (see $out)"
	echo "$1 $(grep '^BENCH ' "$out" | sed 's/^BENCH //') rss_kb=$(dp_rss)" >>"$RAW"
}

# start MODELS: controlplane with a catalog of MODELS models, then the dataplane
start() {
	SY_CATALOG=$(catalog "$1")
	sy_start_controlplane
	sy_start_dataplane dataplane "$DP_PORT" "$WORKERS"
}

sy_say "starting switchyard-mock, controlplane (10 models), dataplane --workers $WORKERS"
sy_start_mock --threads "${BENCH_MOCK_THREADS:-4}"
start 10
ADMIN=http://127.0.0.1:$SY_ADMIN_PORT
ORG=$(sy_admin "$ADMIN" "$SY_ADMIN_KEY" POST /api/v1/orgs '{"name":"flat"}' | sy_json data.id)
sy_admin "$ADMIN" "$SY_ADMIN_KEY" POST "/api/v1/orgs/$ORG/credits" \
	'{"amount":1000000,"note":"bench"}' >/dev/null
KEY=$(sy_admin "$ADMIN" "$SY_ADMIN_KEY" POST /api/v1/keys "{\"name\":\"flat\",\"org_id\":\"$ORG\"}" |
	sy_json key)
sy_say "1 key, 10 models: c=64, $DUR"
measure small

sy_stop dataplane
sy_stop controlplane
sy_say "writing $KEYS keys into the store"
t0=$(date +%s.%N)
"$SEED" "$SY_RUN_DIR/cp-data" "$ORG" "$KEYS" >&2
echo "seed_s $(echo "$(date +%s.%N) - $t0" | bc -l)" >>"$RAW"
t0=$(date +%s.%N)
start 10
echo "sync_s $(echo "$(date +%s.%N) - $t0" | bc -l)" >>"$RAW"
sy_say "$KEYS keys, 10 models: c=64, $DUR"
measure keys

sy_stop dataplane
sy_stop controlplane
t0=$(date +%s.%N)
start "$MODELS"
echo "sync_big_s $(echo "$(date +%s.%N) - $t0" | bc -l)" >>"$RAW"
sy_say "$KEYS keys, $MODELS models: c=64, $DUR"
measure big

"$SY_PY" - "$RAW" "$SY_RUN_DIR/results.md" "$KEYS" "$MODELS" <<'PY'
import sys

raw, md_path, keys, models = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
runs, other = {}, {}
for line in open(raw):
    f = line.split()
    if len(f) == 2:
        other[f[0]] = float(f[1])
    else:
        runs[f[0]] = {k: float(v) for k, v in (kv.split("=") for kv in f[1:])}
names = {"small": "1 key, 10 models", "keys": f"{keys} keys, 10 models",
         "big": f"{keys} keys, {models} models"}
lines = ["| state | req/s (c=64) | p99 (ms) | errors | worker RSS (MB) |",
         "|---|---:|---:|---:|---:|"]
for n, label in names.items():
    r = runs.get(n)
    if r:
        lines.append(f"| {label} | {r['rps']:.0f} | {r['p99_us'] / 1000:.2f} | "
                     f"{r['errors'] + r['non2xx']:.0f} | {r['rss_kb'] / 1024:.1f} |")
verdicts, ok = [], True
s, k, b = runs.get("small"), runs.get("keys"), runs.get("big")
if not (s and k and b):
    ok = False
    verdicts.append("FAIL  a run is missing")
else:
    diff = (b["rps"] - s["rps"]) / s["rps"]
    errors = sum(r["errors"] + r["non2xx"] for r in (s, k, b))
    ok = abs(diff) < 0.05 and errors == 0
    verdicts.append(f"{'PASS' if abs(diff) < 0.05 else 'FAIL'}  c=64 throughput differs < 5 %: "
                    f"{diff:+.1%} ({b['rps']:.0f} vs {s['rps']:.0f} req/s; "
                    f"{(k['rps'] - s['rps']) / s['rps']:+.1%} with the keys alone)")
    verdicts.append(f"{'PASS' if errors == 0 else 'FAIL'}  no errors: {errors:.0f}")
    verdicts.append(f"INFO  worker memory per key: {(k['rss_kb'] - s['rss_kb']) * 1024 / (keys - 1):.0f} B; "
                    f"per model: {(b['rss_kb'] - k['rss_kb']) * 1024 / (models - 10):.0f} B")
verdicts.append(f"INFO  seeding {keys} keys took {other.get('seed_s', 0):.1f} s; restart to a ready "
                f"dataplane with them {other.get('sync_s', 0):.1f} s, with {models} models too "
                f"{other.get('sync_big_s', 0):.1f} s")
out = "\n".join(lines) + "\n\n" + "\n".join(verdicts) + "\n"
open(md_path, "w").write(out)
print()
print(out)
sys.exit(0 if ok else 1)
PY
