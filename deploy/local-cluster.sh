#!/usr/bin/env bash
# deploy/local-cluster.sh - `make cluster`: the docker-compose topology as processes on this
# machine: controlplane, mock provider, N dataplanes on their own ports, haproxy in front.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: deploy/local-cluster.sh [--background] [BIN_DIR] [N]   start a cluster (make cluster)
       deploy/local-cluster.sh add       start one more dataplane in a spare haproxy slot
       deploy/local-cluster.sh status    print haproxy's view of the dataplanes
       deploy/local-cluster.sh stop      stop a cluster started with --background
       deploy/local-cluster.sh haproxy-config [N]   print the haproxy.cfg it would use

Starts on 127.0.0.1: switchyard-mock, switchyard-controlplane (deploy/catalog.demo.json),
N switchyard-dataplane processes (default 3, --workers 1 each, each on its own port) and
haproxy (deploy/haproxy.cfg: health check GET /ready, leastconn, long timeouts) in front;
creates a demo org and key and prints the ports. Without --background it stays in the
foreground until Ctrl-C/SIGTERM and then stops everything; with --background it returns once
the cluster is ready and `stop` ends it. haproxy has N + SY_SPARES server slots: the spares
are down until `add` starts a dataplane in one.

BIN_DIR defaults to build/bin. Environment (ports must be free):
  SY_CLUSTER_DIR=build/cluster   state, logs, pid files and cluster.env (what `add`, `stop`
                                 and tests read: ports, admin key, demo key)
  SY_LB_PORT=8080     haproxy, the public API      SY_STATS_PORT=8404  haproxy stats, /metrics
  SY_ADMIN_PORT=8081  controlplane admin API       SY_MOCK_PORT=9100   mock provider
  SY_ZMQ_PORT=5555    controlplane ZeroMQ snapshot, publish (+1), usage (+2)
  SY_DP_PORT=8091     dataplane i (1-based) listens on SY_DP_PORT + i - 1
  SY_SPARES=2         spare haproxy slots for `add`
  SY_MOCK_FLAGS       extra switchyard-mock flags (e.g. "--latency-ms 50")
  SY_CATALOG          catalog to load (default deploy/catalog.demo.json)
EOF
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/lib.sh
. "$ROOT/deploy/lib.sh"

SY_RUN_DIR=${SY_CLUSTER_DIR:-$ROOT/build/cluster}
ENV_FILE=$SY_RUN_DIR/cluster.env

# Load what a running cluster recorded (for add, status, stop).
load_env() {
	[ -f "$ENV_FILE" ] || sy_die "no cluster recorded in $SY_RUN_DIR (start one with --background)"
	# shellcheck disable=SC1090
	. "$ENV_FILE"
}

# The dataplane ports haproxy knows, one "slot port" per line.
slots() {
	local i
	for i in $(seq 1 $((SY_N + SY_SPARES))); do
		echo "$i $((SY_DP_PORT + i - 1))"
	done
}

# haproxy's CSV stats for the dataplanes: "name status sessions-total" per server.
print_status() {
	curl -fsS --max-time 2 "http://127.0.0.1:$SY_STATS_PORT/stats;csv" |
		awk -F, '$1 == "dataplanes" && $2 != "BACKEND" { print $2, $18, $8 }'
}

# Wait until haproxy reports want_up dataplanes UP and the rest DOWN.
wait_lb() {
	local want_up=$1 i st
	for i in $(seq 200); do
		if ! sy_alive haproxy; then
			tail -n 20 "$SY_RUN_DIR/haproxy.log" >&2
			sy_die "haproxy exited (log: $SY_RUN_DIR/haproxy.log)"
		fi
		st=$(print_status 2>/dev/null || true)
		if [ "$(grep -c ' UP ' <<<"$st")" = "$want_up" ] &&
			[ "$(grep -c ' DOWN ' <<<"$st")" = $((SY_N + SY_SPARES - want_up)) ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "$st" >&2
	sy_die "haproxy did not see $want_up dataplanes up within 20 s"
}

cmd_stop() {
	load_env
	sy_stop_all
	rm -f "$ENV_FILE"
	sy_say "cluster in $SY_RUN_DIR stopped"
}

cmd_status() {
	load_env
	echo "slot status sessions_total"
	print_status
}

cmd_add() {
	local slot port up=0
	load_env
	while read -r slot port; do
		sy_alive "dp$slot" && up=$((up + 1))
	done < <(slots)
	while read -r slot port; do
		sy_alive "dp$slot" && continue
		sy_need_port "$port" "dataplane dp$slot"
		sy_start_dataplane "dp$slot" "$port" 1 --max-conns-per-ip 0
		wait_lb $((up + 1))
		sy_say "dataplane dp$slot ready on 127.0.0.1:$port"
		echo "dp$slot $port"
		return 0
	done < <(slots)
	sy_die "no spare haproxy slot left (restart with a larger SY_SPARES)"
}

# Render deploy/haproxy.cfg for processes on 127.0.0.1 (see the comment at its top).
render_haproxy() {
	local servers="" slot port
	while read -r slot port; do
		servers+="    server dp$slot 127.0.0.1:$port\n"
	done < <(slots)
	awk -v servers="$servers" '
		/^[ \t]*# BEGIN compose-only/ { skip = 1; if ($0 ~ /servers$/) printf "%s", servers; next }
		/^[ \t]*# END compose-only$/ { skip = 0; next }
		!skip { print }' "$ROOT/deploy/haproxy.cfg"
}

# Print the haproxy configuration a cluster of N dataplanes would use (for checks).
cmd_haproxy_config() {
	SY_N=${1:-3}
	SY_DP_PORT=${SY_DP_PORT:-8091}
	SY_SPARES=${SY_SPARES:-2}
	render_haproxy
}

cmd_start() {
	local background=0 slot port need
	if [ "${1:-}" = --background ]; then
		background=1
		shift
	fi
	SY_BIN=${1:-$ROOT/build/bin}
	SY_BIN=$(cd "$SY_BIN" 2>/dev/null && pwd) || sy_die "no binaries in $SY_BIN: build them first (make)"
	SY_N=${2:-3}
	[[ "$SY_N" =~ ^[1-9][0-9]?$ ]] || sy_die "N must be 1..99 dataplanes, got '$SY_N'"
	SY_LB_PORT=${SY_LB_PORT:-8080}
	SY_STATS_PORT=${SY_STATS_PORT:-8404}
	SY_ADMIN_PORT=${SY_ADMIN_PORT:-8081}
	SY_MOCK_PORT=${SY_MOCK_PORT:-9100}
	SY_ZMQ_PORT=${SY_ZMQ_PORT:-5555}
	SY_DP_PORT=${SY_DP_PORT:-8091}
	SY_SPARES=${SY_SPARES:-2}
	SY_CATALOG=${SY_CATALOG:-$ROOT/deploy/catalog.demo.json}

	sy_need_stack
	sy_need_cmd haproxy
	if [ -f "$ENV_FILE" ]; then
		(load_env && sy_alive controlplane) &&
			sy_die "a cluster is already running from $SY_RUN_DIR (deploy/local-cluster.sh stop)"
	fi
	need=(lb="$SY_LB_PORT" stats="$SY_STATS_PORT" admin="$SY_ADMIN_PORT" mock="$SY_MOCK_PORT"
		zmq-snapshot="$SY_ZMQ_PORT" zmq-publish=$((SY_ZMQ_PORT + 1))
		zmq-usage=$((SY_ZMQ_PORT + 2)))
	while read -r slot port; do
		need+=("dp$slot=$port")
	done < <(slots)
	sy_need_ports "${need[@]}"

	sy_fresh_state demo-mock-provider-key
	render_haproxy >"$SY_RUN_DIR/haproxy.cfg"
	haproxy -c -q -f "$SY_RUN_DIR/haproxy.cfg" ||
		sy_die "haproxy rejected $SY_RUN_DIR/haproxy.cfg"

	trap 'sy_stop_all; rm -f "$ENV_FILE"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	# shellcheck disable=SC2086
	sy_start_mock ${SY_MOCK_FLAGS:-}
	sy_start_controlplane
	for slot in $(seq 1 "$SY_N"); do
		sy_start_dataplane "dp$slot" $((SY_DP_PORT + slot - 1)) 1 --max-conns-per-ip 0
	done
	SY_HAPROXY_BIND=127.0.0.1:$SY_LB_PORT SY_HAPROXY_STATS=127.0.0.1:$SY_STATS_PORT \
		sy_start haproxy haproxy -f "$SY_RUN_DIR/haproxy.cfg"
	wait_lb "$SY_N"

	local lb=http://127.0.0.1:$SY_LB_PORT admin=http://127.0.0.1:$SY_ADMIN_PORT key
	key=$(sy_demo_key "$admin" "$SY_ADMIN_KEY" demo)
	sy_wait_chat "$lb" "$key" "${SY_DEMO_MODEL:-openai/gpt-5.2}" 10
	(
		umask 077
		for v in SY_BIN SY_N SY_SPARES SY_LB_PORT SY_STATS_PORT SY_ADMIN_PORT SY_MOCK_PORT \
			SY_ZMQ_PORT SY_DP_PORT SY_ADMIN_KEY SY_KEK SY_MOCK_KEY; do
			printf '%s=%q\n' "$v" "${!v}"
		done
		printf 'SY_DEMO_KEY=%q\n' "$key"
	) >"$ENV_FILE"

	cat <<EOF

Switchyard cluster is up (all on 127.0.0.1):
  haproxy (public API)  $lb/api/v1
  haproxy stats         http://127.0.0.1:$SY_STATS_PORT/stats  (Prometheus: /metrics)
  dataplanes            ports $(slots | head -n "$SY_N" | awk '{ printf "%s ", $2 }')(spare slots $(slots | tail -n +$((SY_N + 1)) | awk '{ printf "%s ", $2 }'))
  admin API             $admin/api/v1
  mock provider         http://127.0.0.1:$SY_MOCK_PORT/v1
  admin key             $SY_ADMIN_KEY
  demo API key          $key
  logs, pids, env       $SY_RUN_DIR

  curl $lb/api/v1/chat/completions -H "Authorization: Bearer $key" \\
    -H "Content-Type: application/json" \\
    -d '{"model": "${SY_DEMO_MODEL:-openai/gpt-5.2}", "messages": [{"role": "user", "content": "Hello!"}]}'
EOF

	if [ "$background" = 1 ]; then
		trap - EXIT INT TERM
		echo "  stop with: deploy/local-cluster.sh stop   (SY_CLUSTER_DIR=$SY_RUN_DIR)"
		return 0
	fi
	echo "  Ctrl-C stops the cluster."
	while sy_alive controlplane && sy_alive haproxy; do
		sleep 1 &
		wait $! || true
	done
	sy_say "controlplane or haproxy exited; stopping (logs in $SY_RUN_DIR)"
	exit 1
}

case "${1:-}" in
-h | --help) usage ;;
stop) cmd_stop ;;
status) cmd_status ;;
add) cmd_add ;;
haproxy-config)
	shift
	cmd_haproxy_config "$@"
	;;
*) cmd_start "$@" ;;
esac
