#!/usr/bin/env bash
# tests/smoke-run.sh - what a new user does first: `make run`, one chat request with the key
# it prints, stop it (SIGTERM: a background job started by a script ignores SIGINT). Exits 0 when the request was answered and everything stopped; used on a
# fresh Debian root (../shared/tools/fresh-debian-check -- "make deps && bash tests/smoke-run.sh").
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h | --help)
	sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac
tmp=$(mktemp -d)
out=$tmp/make-run.out
export SY_READY_FILE=$tmp/ready SY_DEMO_DIR=$tmp/demo
setsid make run >"$out" 2>&1 </dev/null &
pid=$!
cleanup() {
	kill -TERM -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
for _ in $(seq 1800); do # the first make run builds everything
	[ -f "$SY_READY_FILE" ] && break
	kill -0 "$pid" 2>/dev/null || {
		cat "$out"
		echo "smoke: make run exited before it was ready" >&2
		exit 1
	}
	sleep 0.2
done
[ -f "$SY_READY_FILE" ] || {
	cat "$out"
	echo "smoke: make run not ready in 6 minutes" >&2
	exit 1
}
# The key as printed for the user to paste.
line=$(grep -E '^ +export KEY=sk-sy-v1-[0-9a-f]{64} SWITCHYARD_ADMIN_KEY=' "$out") || {
	cat "$out"
	echo "smoke: no export line printed" >&2
	exit 1
}
eval "$line"
public=$(sed -n 's/^public=//p' "$SY_READY_FILE")
body=$(curl -sS --max-time 30 "$public/api/v1/chat/completions" \
	-H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
	-d '{"model": "openai/gpt-5.2", "messages": [{"role": "user", "content": "Hello!"}]}')
echo "smoke: $body"
case "$body" in *'"choices"'*'"usage"'*) ;; *)
	echo "smoke: the chat request failed" >&2
	exit 1
	;;
esac
kill -TERM -- "-$pid"
for _ in $(seq 300); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	echo "smoke: make run did not stop on SIGTERM" >&2
	exit 1
fi
echo "smoke: ok (make run started, answered a chat request, stopped on SIGTERM)"
