#!/bin/sh
# deploy/docker-entrypoint.sh - the container entry point of deploy/Dockerfile.
#
#   docker-entrypoint.sh controlplane|dataplane|mock [FLAGS...]   run that binary
#   docker-entrypoint.sh probe PORT PATH                          exit 0 on an HTTP 200 (health checks)
#   docker-entrypoint.sh keys CP_DIR DP_DIR                       CURVE keys for the ZeroMQ links:
#       the controlplane's key pair and authorized_keys in CP_DIR, the dataplanes' key
#       (dataplane.key) and the controlplane's public key in DP_DIR; existing keys are kept
#   docker-entrypoint.sh switchyard-<binary> [FLAGS...]           the same as the short names
#
# Secrets: a variable NAME_FILE, where NAME is SWITCHYARD_* or ends in _KEY, names a file whose
# content becomes NAME (Docker and Kubernetes secrets mounted as files), e.g.
# SWITCHYARD_ADMIN_KEY_FILE=/run/secrets/admin_key or OPENAI_API_KEY_FILE=/run/secrets/openai.
# Empty SWITCHYARD_ADMIN_KEY / SWITCHYARD_KEK are unset, so the controlplane's own defaults
# apply (it writes a generated admin key to <data-dir>/admin.key).
# KEK: the controlplane gets SWITCHYARD_KEK, or --kek-file; with neither, a KEK is generated
# once into <data-dir>/kek (fine for a demo; in production keep the KEK off the data volume).
# SWITCHYARD_DEMO_UPSTREAM=http://mock:9100: the controlplane's --catalog file is copied with
# the demo catalog's mock address (http://127.0.0.1:9100) replaced by this one.
set -eu

usage() {
	sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
}

for name in $(env | sed -n 's/^\(SWITCHYARD_[A-Za-z0-9_]*\|[A-Za-z0-9_]*_KEY\)_FILE=.*/\1/p'); do
	file=
	eval "file=\${${name}_FILE}"
	[ -r "$file" ] || { echo "docker-entrypoint: ${name}_FILE=$file is not readable" >&2; exit 1; }
	eval "$name=\$(cat \"\$file\")"
	# shellcheck disable=SC2163 # exports the variable named by $name, as intended
	export "$name"
	unset "${name}_FILE"
done
for name in SWITCHYARD_ADMIN_KEY SWITCHYARD_KEK; do
	eval "val=\${$name:-}"
	[ -n "$val" ] || unset "$name"
done

probe() {
	# Plain HTTP/1.0 GET over bash's /dev/tcp: the runtime image carries no curl.
	exec bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$2" >&3
		IFS= read -r -t 3 status <&3 || exit 1
		case "$status" in "HTTP/1."?" 200"*) exit 0 ;; esac
		exit 1' probe "$1" "$2"
}

controlplane() {
	data=/var/lib/switchyard kek_file=
	prev=
	for a in "$@"; do
		[ "$prev" = --data-dir ] && data=$a
		[ "$prev" = --kek-file ] && kek_file=$a
		prev=$a
	done
	extra=
	if [ -z "${SWITCHYARD_KEK:-}" ] && [ -z "$kek_file" ]; then
		if [ ! -s "$data/kek" ]; then
			echo "docker-entrypoint: no SWITCHYARD_KEK given; generating $data/kek" >&2
			(umask 077 && head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$data/kek")
		fi
		extra="--kek-file $data/kek"
	fi
	if [ -n "${SWITCHYARD_DEMO_UPSTREAM:-}" ]; then
		# Rewrite the --catalog argument to a copy that points at the demo upstream.
		n=$#
		prev=
		for a in "$@"; do
			if [ "$prev" = --catalog ]; then
				sed "s#http://127\.0\.0\.1:9100#$SWITCHYARD_DEMO_UPSTREAM#g" "$a" >/tmp/catalog.json
				a=/tmp/catalog.json
			fi
			set -- "$@" "$a"
			prev=$a
		done
		shift "$n"
	fi
	# shellcheck disable=SC2086
	exec switchyard-controlplane "$@" $extra
}

# Each side's volume gets only what that side needs: a dataplane never sees the controlplane's
# secret key.
keys() {
	[ $# -eq 2 ] || { echo "docker-entrypoint: keys CP_DIR DP_DIR" >&2; exit 2; }
	switchyard-controlplane --gen-keys "$1" dataplane
	(umask 077 && cp "$1/dataplane.key" "$1/controlplane.pub" "$2/")
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
controlplane | switchyard-controlplane) controlplane "$@" ;;
dataplane | switchyard-dataplane) exec switchyard-dataplane "$@" ;;
mock | switchyard-mock) exec switchyard-mock "$@" ;;
probe) probe "$@" ;;
keys) keys "$@" ;;
-h | --help | help | "") usage ;;
*)
	echo "docker-entrypoint: unknown command '$cmd'" >&2
	usage >&2
	exit 2
	;;
esac
