# shellcheck shell=bash
# deploy/lib.sh - shell helpers shared by run-local.sh, local-cluster.sh and bench/run.sh.
#
# Source it; it defines sy_* functions and uses these globals:
#   SY_RUN_DIR   directory for pid files and logs (set by the caller before sy_start)
# Every process started with sy_start runs in its own session (setsid), so sy_stop_all can
# signal its whole process group (a dataplane's forked workers included) by the pid it
# recorded, and never touches anything it did not start.

SY_PY=/usr/bin/python3
SY_DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Print a message to stderr and exit 1.
sy_die() {
	echo "error: $*" >&2
	exit 1
}

# Print a progress line to stderr (stdout is left for what the caller prints).
sy_say() {
	echo "==> $*" >&2
}

# N random bytes as lowercase hex.
sy_hex() {
	head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'
}

# Fail unless binary $1/$2 exists and is executable.
sy_need_bin() {
	[ -x "$1/$2" ] || sy_die "$1/$2 not found: build it first (make, or make MODE=release)"
}

# Fail unless a command is installed; installs Debian package $2 (default: $1) when root.
sy_need_cmd() {
	local cmd=$1 pkg=${2:-$1}
	command -v "$cmd" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ]; then
		sy_say "installing $pkg (apt-get)"
		if ! apt-get update -qq >/dev/null ||
			! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; then
			sy_die "apt-get install $pkg failed"
		fi
		command -v "$cmd" >/dev/null 2>&1 && return 0
	fi
	sy_die "$cmd is not installed: apt-get install $pkg (as root)"
}

# Fail clearly if 127.0.0.1:$1 is already listening; $2 names what wanted it.
sy_need_port() {
	"$SY_PY" - "$1" <<'EOF' || sy_die "port $1 ($2) is already in use on 127.0.0.1; stop what holds it or pick another port (see --help)"
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# sy_start NAME CMD... : start CMD in its own session, stdout+stderr to $SY_RUN_DIR/NAME.log,
# pid in $SY_RUN_DIR/pids/NAME.pid.
sy_start() {
	local name=$1
	shift
	mkdir -p "$SY_RUN_DIR/pids"
	setsid "$@" >>"$SY_RUN_DIR/$name.log" 2>&1 </dev/null &
	echo $! >"$SY_RUN_DIR/pids/$name.pid"
}

# True if pid $1 is running (a zombie, whose parent has not reaped it yet, is not).
# Read from /proc: a minimal Debian has no ps (package procps).
sy_pid_alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ -n "$st" ] && [ "${st:0:1}" != Z ]
}

# True if the process recorded as NAME is running.
sy_alive() {
	local f="$SY_RUN_DIR/pids/$1.pid"
	[ -f "$f" ] && sy_pid_alive "$(cat "$f")"
}

# Stop the process group recorded as NAME: SIGTERM, up to 10 s, then SIGKILL.
sy_stop() {
	local f="$SY_RUN_DIR/pids/$1.pid" pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if sy_pid_alive "$pid"; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 100); do
			sy_pid_alive "$pid" || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	# A group may outlive its leader (workers); make sure none is left.
	kill -KILL -- "-$pid" 2>/dev/null || true
	rm -f "$f"
}

# Stop everything recorded under $SY_RUN_DIR/pids, newest first.
sy_stop_all() {
	local f
	[ -d "$SY_RUN_DIR/pids" ] || return 0
	# Our own names ([a-z0-9-]), newest first: the reverse of the start order.
	# shellcheck disable=SC2045
	for f in $(ls -t "$SY_RUN_DIR/pids" 2>/dev/null); do
		sy_stop "${f%.pid}"
	done
}

# sy_wait_http URL SECONDS WHAT [NAME [CURL_ARGS...]]: wait for a 2xx from URL; fails early
# (with the tail of its log) if process NAME dies meanwhile.
sy_wait_http() {
	local url=$1 secs=$2 what=$3 name=${4:-}
	shift 4 2>/dev/null || shift $#
	for _ in $(seq $((secs * 10))); do
		curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null && return 0
		if [ -n "$name" ] && ! sy_alive "$name"; then
			tail -n 20 "$SY_RUN_DIR/$name.log" >&2 2>/dev/null
			sy_die "$what exited during startup (log: $SY_RUN_DIR/$name.log)"
		fi
		sleep 0.1
	done
	[ -n "$name" ] && tail -n 20 "$SY_RUN_DIR/$name.log" >&2 2>/dev/null
	sy_die "$what did not answer $url within ${secs}s"
}

# sy_json FIELD.PATH : read JSON on stdin, print one field ("data.id"); fails if absent.
sy_json() {
	"$SY_PY" -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

# sy_admin ADMIN_URL ADMIN_KEY METHOD PATH [JSON]: call the admin API; prints the body,
# fails (showing the body) on a non-2xx status.
sy_admin() {
	local url=$1 key=$2 method=$3 path=$4 body=${5:-} out code
	out=$(mktemp)
	code=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" --max-time 10 \
		-H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		${body:+--data "$body"} "$url$path") || code=000
	if [ "${code:0:1}" != 2 ]; then
		cat "$out" >&2
		rm -f "$out"
		sy_die "admin API $method $path answered HTTP $code"
	fi
	cat "$out"
	rm -f "$out"
}

# sy_demo_key ADMIN_URL ADMIN_KEY ORG_NAME: create an org with SY_DEMO_CREDITS USD of credits
# (default 1000; orgs are prepaid) and an inference key in it; prints the key's plaintext.
sy_demo_key() {
	local org
	org=$(sy_admin "$1" "$2" POST /api/v1/orgs "{\"name\":\"$3\"}" | sy_json data.id) ||
		sy_die "could not create org $3"
	sy_admin "$1" "$2" POST "/api/v1/orgs/$org/credits" \
		"{\"amount\":${SY_DEMO_CREDITS:-1000},\"note\":\"demo credits\"}" >/dev/null ||
		sy_die "could not add credits to org $3"
	sy_admin "$1" "$2" POST /api/v1/keys "{\"name\":\"$3-demo\",\"org_id\":\"$org\"}" |
		sy_json key || sy_die "could not create a key in org $3"
}

# sy_wait_chat URL KEY MODEL SECONDS: wait until a chat completion through URL succeeds (a
# fresh key reaches the dataplanes over the update channel a moment after it is created).
sy_wait_chat() {
	for _ in $(seq $(($4 * 10))); do
		curl -fsS -o /dev/null --max-time 5 "$1/api/v1/chat/completions" \
			-H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
			--data "{\"model\":\"$3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" \
			2>/dev/null && return 0
		sleep 0.1
	done
	sy_die "a chat completion through $1 did not succeed within $4 s"
}

# ---- the Switchyard processes ------------------------------------------------------------
# These read: SY_BIN (binaries), SY_RUN_DIR, SY_ADMIN_PORT, SY_ZMQ_PORT (first of three
# consecutive ports: snapshot, publish, usage), SY_MOCK_PORT, SY_ADMIN_KEY, SY_KEK,
# SY_MOCK_KEY (the demo provider key: only the controlplane reads it, when it imports the
# catalog, and stores it encrypted), SY_CATALOG (optional).

# sy_keys [NAME...]: CURVE keys for the ZeroMQ links in $SY_RUN_DIR/keys (the controlplane's,
# and one per dataplane NAME, listed in authorized_keys; default NAME: dataplane). Existing
# keys are kept; a running controlplane picks up new dataplane keys by itself.
sy_keys() {
	"$SY_BIN/switchyard-controlplane" --gen-keys "$SY_RUN_DIR/keys" "$@" >/dev/null ||
		sy_die "could not write the CURVE keys in $SY_RUN_DIR/keys"
}

# The controlplane's three ZeroMQ endpoints as dataplane/controlplane flags.
sy_zmq_flags() {
	echo "--zmq-snapshot tcp://127.0.0.1:$SY_ZMQ_PORT" \
		"--zmq-publish tcp://127.0.0.1:$((SY_ZMQ_PORT + 1))" \
		"--zmq-usage tcp://127.0.0.1:$((SY_ZMQ_PORT + 2))"
}

# Fail unless SY_BIN holds the three Switchyard binaries, SY_CATALOG exists and curl is
# installed: what every script that starts the stack needs.
sy_need_stack() {
	local b
	for b in switchyard-mock switchyard-controlplane switchyard-dataplane; do
		sy_need_bin "$SY_BIN" "$b"
	done
	[ -f "$SY_CATALOG" ] || sy_die "$SY_CATALOG is missing"
	sy_need_cmd curl
}

# sy_fresh_state MOCK_KEY: an empty SY_RUN_DIR (mode 700) and new secrets for this run:
# SY_KEK, SY_ADMIN_KEY, and SY_MOCK_KEY set to MOCK_KEY.
sy_fresh_state() {
	rm -rf "$SY_RUN_DIR"
	mkdir -p "$SY_RUN_DIR"
	chmod 700 "$SY_RUN_DIR"
	SY_KEK=$(sy_hex 32)
	SY_ADMIN_KEY=sk-sy-mgmt-v1-$(sy_hex 32)
	SY_MOCK_KEY=$1
}

# Fail unless every port the stack needs is free: sy_need_ports NAME=PORT...
sy_need_ports() {
	local kv
	for kv in "$@"; do
		sy_need_port "${kv#*=}" "${kv%%=*}"
	done
}

# sy_start_mock [MOCK_FLAGS...]: start the mock provider on SY_MOCK_PORT and wait for it.
sy_start_mock() {
	sy_start mock "$SY_BIN/switchyard-mock" --listen "127.0.0.1:$SY_MOCK_PORT" "$@"
	sy_wait_http "http://127.0.0.1:$SY_MOCK_PORT/v1/models" 15 "switchyard-mock" mock
}

# Start the controlplane (data in $SY_RUN_DIR/cp-data) and wait for its admin API. The demo
# catalog names the mock on port 9100; a copy is rendered for SY_MOCK_PORT.
sy_start_controlplane() {
	local catalog=()
	if [ -n "${SY_CATALOG:-}" ]; then
		sed "s#127\.0\.0\.1:9100/#127.0.0.1:$SY_MOCK_PORT/#g" "$SY_CATALOG" \
			>"$SY_RUN_DIR/catalog.json"
		catalog=(--catalog "$SY_RUN_DIR/catalog.json")
	fi
	sy_keys
	# shellcheck disable=SC2046
	SWITCHYARD_ADMIN_KEY=$SY_ADMIN_KEY SWITCHYARD_KEK=$SY_KEK SWITCHYARD_MOCK_KEY=$SY_MOCK_KEY \
		sy_start controlplane "$SY_BIN/switchyard-controlplane" \
		--data-dir "$SY_RUN_DIR/cp-data" --admin-listen "127.0.0.1:$SY_ADMIN_PORT" \
		$(sy_zmq_flags) "${catalog[@]}" \
		--curve-secret-file "$SY_RUN_DIR/keys/controlplane.key" \
		--curve-authorized "$SY_RUN_DIR/keys/authorized_keys"
	sy_wait_http "http://127.0.0.1:$SY_ADMIN_PORT/api/v1/orgs" 20 "switchyard-controlplane" \
		controlplane -H "Authorization: Bearer $SY_ADMIN_KEY"
}

# sy_start_dataplane NAME PORT WORKERS [FLAGS...]: start a dataplane on 127.0.0.1:PORT, with
# CURVE key NAME (made and authorized if new) and any further flags, and wait until it is
# ready (holds a snapshot).
sy_start_dataplane() {
	sy_keys "$1"
	# shellcheck disable=SC2046
	sy_start "$1" "$SY_BIN/switchyard-dataplane" \
		--listen "127.0.0.1:$2" --workers "$3" $(sy_zmq_flags) \
		--spool-dir "$SY_RUN_DIR/spool-$1" \
		--curve-secret-file "$SY_RUN_DIR/keys/$1.key" \
		--curve-server-key "$SY_RUN_DIR/keys/controlplane.pub" "${@:4}"
	sy_wait_http "http://127.0.0.1:$2/ready" 20 "switchyard-dataplane $1" "$1"
}

# sy_free_ports N: the first of N consecutive free ports on 127.0.0.1 (for ZeroMQ's three),
# from below the kernel's ephemeral range (see deploy/free_ports.py).
sy_free_ports() {
	"$SY_PY" "$SY_DEPLOY_DIR/free_ports.py" "$1"
}
