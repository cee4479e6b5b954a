#!/usr/bin/env bash
# Runs a command once Node.js and npm are on the machine: either missing,
# Debian's nodejs and npm packages are installed first. The conformance
# peers in conformance/peers/js need them (`make peers`).
#
#   scripts/node.sh npm ci
set -euo pipefail

if [ "$#" -eq 0 ]; then
	echo "usage: $0 COMMAND [ARG...]" >&2
	exit 2
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "== installing Node.js and npm from Debian's packages"
	sudo_cmd=""
	[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
	$sudo_cmd apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y nodejs npm
fi

exec "$@"
