#!/usr/bin/env bash
# deploy/deps.sh - install the Debian packages one part of the project needs (make deps,
# make test-deps, make fmt-deps). Only packages from Debian 12's own sources are named here.
#
#   bash deploy/deps.sh WHAT PACKAGE...
#
# A package counts as present when dpkg has it installed or an installed package provides it
# (a nodejs from another source that provides npm, say). Missing ones are installed with
# apt-get when root; otherwise the command to run is printed and the exit status is 1.
# apt's own output is kept in a log and shown when it fails.
set -uo pipefail

case "${1:-}" in -h | --help | "")
	sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac
what=$1
shift

provided=$(dpkg-query -W -f='${Status} ${Provides}\n' 2>/dev/null | awk '/ installed/ {
	for (i = 4; i <= NF; i++) { p = $i; sub(/,$/, "", p); if (p !~ /^\(/ && p !~ /\)$/) print p } }')
missing=()
for pkg in "$@"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' && continue
	grep -qx "$pkg" <<<"$provided" && continue
	missing+=("$pkg")
done
[ ${#missing[@]} = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "missing Debian packages for $what; run as root:" >&2
	echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "==> installing ${#missing[@]} packages for $what: ${missing[*]}"
echo "==> apt-get update"
if ! apt-get update -q -o DPkg::Lock::Timeout=600 >"$log" 2>&1; then
	cat "$log" >&2
	echo "error: apt-get update failed" >&2
	exit 1
fi
echo "==> apt-get install (log: shown on failure)"
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
	"${missing[@]}" >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "error: apt-get install failed for $what" >&2
	exit 1
fi
echo "==> installed ${#missing[@]} packages for $what"
