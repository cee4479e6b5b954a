#!/usr/bin/env bash
# Runs a command with a Mosquitto broker on 127.0.0.1 and a free port,
# started from transports/mqtt/testdata/mosquitto.conf, and stops the
# broker when the command ends, whatever its outcome. The broker's
# address is exported as OPENEVENTS_MOSQUITTO_ADDR. Mosquitto is installed
# from Debian's packages first when missing.
#
#   scripts/mosquitto.sh go test ./transports/mqtt/...
set -euo pipefail

if [ "$#" -eq 0 ]; then
	echo "usage: $0 COMMAND [ARG...]" >&2
	exit 2
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
mosquitto="$(command -v mosquitto || true)"
[ -z "$mosquitto" ] && [ -x /usr/sbin/mosquitto ] && mosquitto=/usr/sbin/mosquitto
if [ -z "$mosquitto" ]; then
	echo "== installing mosquitto from Debian's packages"
	sudo_cmd=""
	[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
	$sudo_cmd apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y mosquitto
	mosquitto="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
fi

workdir="$(mktemp -d)"
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$workdir"
}
trap cleanup EXIT

# free_port prints a free loopback port: bind port 0 and read it back
# (python3), or pick one at random when python3 is missing; a port taken
# meanwhile makes mosquitto fail to start, and the loop below tries again.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

started=""
for attempt in 1 2 3 4 5; do
	port="$(free_port)"
	conf="$workdir/mosquitto.conf"
	{
		echo "listener $port 127.0.0.1"
		cat "$root/transports/mqtt/testdata/mosquitto.conf"
	} >"$conf"
	"$mosquitto" -c "$conf" >"$workdir/mosquitto.log" 2>&1 &
	pid=$!
	# Wait (up to 10s) for the listener.
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			started=yes
			break
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	if [ -n "$started" ]; then
		break
	fi
	echo "mosquitto did not start on 127.0.0.1:$port (attempt $attempt):" >&2
	cat "$workdir/mosquitto.log" >&2
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
done
if [ -z "$started" ]; then
	echo "could not start mosquitto" >&2
	exit 1
fi

echo "== $("$mosquitto" -h 2>/dev/null | head -1 || true) on 127.0.0.1:$port (pid $pid)"
export OPENEVENTS_MOSQUITTO_ADDR="127.0.0.1:$port"
status=0
"$@" || status=$?
if [ "$status" -ne 0 ] && [ -s "$workdir/mosquitto.log" ]; then
	echo "== mosquitto log" >&2
	cat "$workdir/mosquitto.log" >&2
fi
exit "$status"
