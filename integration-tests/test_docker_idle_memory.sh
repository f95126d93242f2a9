#!/usr/bin/env bash
# docker_idle_sandbox_stays_small: an idle `docker run -d busybox sleep`
# costs little memory, and still works after it has sat idle.
#
# The memory is the sum of Pss (/proc/PID/smaps_rollup) over every process
# below the container's containerd-shim (the Sentry, the Gofer, the stubs),
# as bench/idle_pss.sh measures it.  Bounds (issue 12; runsc costs 17 MB):
#   --network=none  under IDLE_PSS_NONE_KB (default 6 MiB; measured 3.7-4.8)
#   default bridge  under IDLE_PSS_BRIDGE_KB (default 13 MiB; measured 9.8-11,
#                   most of it the AF_PACKET rings the Sentry maps)
# Then the idle sandbox answers a `docker exec` with the right output (what
# it gave back while idle faults in again when it is used), and the sleep is
# still the one running.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
ids=()
cleanup() { for i in "${ids[@]}"; do docker rm -f "$i" >/dev/null 2>&1; done; }
trap cleanup EXIT
D() { timeout 60 docker "$@"; }
SETTLE=${SETTLE:-6}

# The pids below $1 (not $1 itself).
descendants() {
	local k
	for k in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$k"
		descendants "$k"
	done
}

# sandbox_pss ID: $pss_kb, the kB of Pss over the sandbox's processes, and
# $nprocs, how many there are.
sandbox_pss() {
	local shim p kb
	pss_kb=0
	nprocs=0
	shim=$(pgrep -f -- "containerd-shim-runc-v2 .*-id $1" | head -1)
	[ -n "$shim" ] || fail "$1: no containerd-shim"
	for p in $(descendants "$shim"); do
		kb=$(awk '/^Pss:/ {print $2; exit}' /proc/"$p"/smaps_rollup 2>/dev/null)
		pss_kb=$((pss_kb + ${kb:-0}))
		nprocs=$((nprocs + 1))
	done
	[ "$nprocs" -gt 0 ] || fail "$1: no sandbox process below the shim"
}

# idle_case NETWORK BOUND_KB
idle_case() {
	local net=$1 bound=$2 id out
	id=$(D run -d --runtime="$DOCKER_RUNTIME" --network="$net" visor-busybox sleep 1000) ||
		fail "run -d --network=$net"
	ids+=("$id")
	sleep "$SETTLE"
	sandbox_pss "$id"
	echo "idle sandbox, --network=$net: Pss $pss_kb kB over $nprocs processes (bound $bound kB)"
	[ "$pss_kb" -le "$bound" ] || fail "--network=$net: idle Pss $pss_kb kB is over $bound kB"
	out=$(D exec "$id" sh -c 'echo $((6 * 7)); cat /proc/1/cmdline | tr "\0" " "') ||
		fail "--network=$net: docker exec into the idle sandbox"
	[ "$out" = "42
sleep 1000 " ] || fail "--network=$net: docker exec output: $out"
	[ "$(D inspect -f '{{.State.Running}}' "$id")" = true ] ||
		fail "--network=$net: the container stopped"
	D rm -f "$id" >/dev/null
}

idle_case none "${IDLE_PSS_NONE_KB:-6144}"
idle_case bridge "${IDLE_PSS_BRIDGE_KB:-13312}"
echo "ok: idle sandboxes stay under their bounds and answer docker exec"
exit 0
