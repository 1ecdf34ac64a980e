#!/usr/bin/env bash
# deploy/run-local.sh - `make run`: a demo Switchyard on this machine (mock provider,
# controlplane, one dataplane with 2 workers), a demo org and key, and examples to paste.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: deploy/run-local.sh [BIN_DIR]      (make run)

Starts on 127.0.0.1: switchyard-mock (a fake upstream provider), switchyard-controlplane with
deploy/catalog.demo.json, and switchyard-dataplane --workers 2; creates a demo org and API key
and prints how to call it. Ctrl-C (or SIGTERM) stops everything. Every run starts from a fresh
state directory (build/demo/), so it can be repeated.

BIN_DIR defaults to build/bin. Ports (each must be free; override with the environment):
  SY_PUBLIC_PORT=8080   public OpenRouter-compatible API (the dataplane)
  SY_ADMIN_PORT=8081    admin REST API (the controlplane)
  SY_MOCK_PORT=9100     mock provider
  SY_ZMQ_PORT=5555      controlplane ZeroMQ: snapshot, publish (+1), usage (+2)
Other: SY_DEMO_DIR (build/demo), SY_DEMO_MODEL (openai/gpt-5.2), SY_CATALOG (the catalog to
load, default deploy/catalog.demo.json), SY_READY_FILE (a file written once the demo is up,
for scripts and tests).
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

SY_BIN=${1:-$ROOT/build/bin}
SY_BIN=$(cd "$SY_BIN" 2>/dev/null && pwd) || sy_die "no binaries in $SY_BIN: build them first (make)"
SY_PUBLIC_PORT=${SY_PUBLIC_PORT:-8080}
SY_ADMIN_PORT=${SY_ADMIN_PORT:-8081}
SY_MOCK_PORT=${SY_MOCK_PORT:-9100}
SY_ZMQ_PORT=${SY_ZMQ_PORT:-5555}
SY_RUN_DIR=${SY_DEMO_DIR:-$ROOT/build/demo}
SY_CATALOG=${SY_CATALOG:-$ROOT/deploy/catalog.demo.json}
MODEL=${SY_DEMO_MODEL:-openai/gpt-5.2}

sy_need_stack
sy_need_ports public="$SY_PUBLIC_PORT" admin="$SY_ADMIN_PORT" mock="$SY_MOCK_PORT" \
	zmq-snapshot="$SY_ZMQ_PORT" zmq-publish=$((SY_ZMQ_PORT + 1)) zmq-usage=$((SY_ZMQ_PORT + 2))

# A fresh state directory each run: new KEK, admin key and demo key. The ports were free, so
# no earlier run is still using it.
sy_fresh_state demo-mock-provider-key
(
	umask 077
	echo "$SY_ADMIN_KEY" >"$SY_RUN_DIR/admin.key"
)

stopping=0
shutdown() {
	[ "$stopping" = 1 ] && return
	stopping=1
	trap - INT TERM EXIT
	echo >&2
	sy_say "stopping"
	sy_stop_all
	rm -f "${SY_READY_FILE:-/nonexistent}"
	sy_say "stopped (logs kept in $SY_RUN_DIR)"
}
trap 'shutdown; exit 130' INT
trap 'shutdown; exit 143' TERM
trap 'shutdown' EXIT

sy_say "starting switchyard-mock on 127.0.0.1:$SY_MOCK_PORT"
sy_start_mock
sy_say "starting switchyard-controlplane (admin API on 127.0.0.1:$SY_ADMIN_PORT)"
sy_start_controlplane
sy_say "starting switchyard-dataplane --workers 2 on 127.0.0.1:$SY_PUBLIC_PORT"
sy_start_dataplane dataplane "$SY_PUBLIC_PORT" 2

ADMIN=http://127.0.0.1:$SY_ADMIN_PORT
PUBLIC=http://127.0.0.1:$SY_PUBLIC_PORT
sy_say "creating the demo org and API key"
KEY=$(sy_demo_key "$ADMIN" "$SY_ADMIN_KEY" demo)
sy_wait_chat "$PUBLIC" "$KEY" "$MODEL" 10

cat <<EOF

Switchyard is running (all on 127.0.0.1).

Paste this into your shell first; README's examples use these variables:

  export KEY=$KEY SWITCHYARD_ADMIN_KEY=$SY_ADMIN_KEY

  public API   $PUBLIC/api/v1   (OpenAI-compatible base URL; /v1 works too)
  admin API    $ADMIN/api/v1
  console      $ADMIN/   (the web console: sign in with the admin key)
  upstream     switchyard-mock on port $SY_MOCK_PORT (models from ${SY_CATALOG#"$ROOT"/})
  ZeroMQ       ports $SY_ZMQ_PORT, $((SY_ZMQ_PORT + 1)), $((SY_ZMQ_PORT + 2)) (controlplane snapshot, publish, usage)
  Ports are set with SY_PUBLIC_PORT, SY_ADMIN_PORT, SY_MOCK_PORT and SY_ZMQ_PORT (make run SY_PUBLIC_PORT=...).

Chat completion:

  curl $PUBLIC/api/v1/chat/completions \\
    -H "Authorization: Bearer \$KEY" -H "Content-Type: application/json" \\
    -d '{"model": "$MODEL", "messages": [{"role": "user", "content": "Hello!"}]}'

Streaming:

  curl -N $PUBLIC/api/v1/chat/completions \\
    -H "Authorization: Bearer \$KEY" -H "Content-Type: application/json" \\
    -d '{"model": "$MODEL", "stream": true, "messages": [{"role": "user", "content": "Hello!"}]}'

OpenAI SDK (node 18 or later; npm install openai, save as demo.mjs, run node demo.mjs in the
shell where KEY is exported):

  import OpenAI from "openai";
  const client = new OpenAI({ baseURL: "$PUBLIC/api/v1", apiKey: process.env.KEY });
  const r = await client.chat.completions.create({
    model: "$MODEL", messages: [{ role: "user", content: "Hello!" }],
  });
  console.log(r.choices[0].message.content, r.usage);

Models: curl $PUBLIC/api/v1/models
Admin:  curl $ADMIN/api/v1/orgs -H "Authorization: Bearer \$SWITCHYARD_ADMIN_KEY"
Docs:   README.md (calling it, routing, money, the admin API) and docs/ in $ROOT

Logs: $SY_RUN_DIR/{mock,controlplane,dataplane}.log  (state: $SY_RUN_DIR)
Press Ctrl-C to stop.
EOF

if [ -n "${SY_READY_FILE:-}" ]; then
	printf 'public=%s\nadmin=%s\nkey=%s\nadmin_key=%s\n' "$PUBLIC" "$ADMIN" "$KEY" \
		"$SY_ADMIN_KEY" >"$SY_READY_FILE.tmp"
	mv "$SY_READY_FILE.tmp" "$SY_READY_FILE"
fi

# Watch the processes; if one dies, say which and stop the rest.
while :; do
	for p in mock controlplane dataplane; do
		if ! sy_alive "$p"; then
			sy_say "$p exited unexpectedly; see $SY_RUN_DIR/$p.log"
			tail -n 20 "$SY_RUN_DIR/$p.log" >&2 || true
			exit 1
		fi
	done
	sleep 1 &
	wait $! || true
done
