#!/usr/bin/env bash
# idle_pss: the memory an idle sandbox costs.  `docker run -d IMAGE sleep`
# under visor ptrace, visor systrap and runsc; once it has settled, the sum
# of Pss (/proc/PID/smaps_rollup) over every process of the sandbox: all the
# descendants of the container's containerd-shim (a subreaper: the Sentry,
# the Gofer and the stubs of visor, runsc's sandbox, gofer and stubs all end
# up below it), the shim itself left out.  Pss shares each page among the
# processes that map it, so the sum counts a page the sandbox shares with
# the rest of the machine only in part.
#
#   bash bench/idle_pss.sh          (root, Docker; runsc is installed if missing)
# SETTLE=seconds to wait before measuring (default 3; an idle Sentry trims
# after two quiet 2 s periods, lib/memtrim.h, so 6 shows the idle state).
# NETWORK=none (or any docker --network) instead of Docker's default bridge;
# RUNNERS="ptrace systrap" to leave runsc out.
set -u
cd "$(dirname "$0")/.."
VISOR=${VISOR:-$PWD/build/visor}
SETTLE=${SETTLE:-3}
NETWORK=${NETWORK:-}
RUNNERS=${RUNNERS:-ptrace systrap runsc}
# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_docker_setup
[ $have_docker = 1 ] || { echo "idle PSS: needs Docker (skipped)"; exit 77; }

# The pids below $1 (not $1 itself).
descendants() {
	local kids k
	kids=$(cat /proc/"$1"/task/*/children 2>/dev/null)
	for k in $kids; do
		echo "$k"
		descendants "$k"
	done
}

# kB of Pss of pid $1 (0 when it is gone).
pss_kb() { awk '/^Pss:/ {print $2; exit}' /proc/"$1"/smaps_rollup 2>/dev/null || echo 0; }

# measure RUNNER: "KB NPROCS" for an idle sleep in a fresh container.
measure() {
	local rt=$1 id shim p total=0 n=0 kb
	id=$(timeout 60 docker run -d --runtime="$rt" ${NETWORK:+--network="$NETWORK"} visor-busybox \
		sleep 600 2>/dev/null) || return 1
	sleep "$SETTLE"
	shim=$(pgrep -f -- "containerd-shim-runc-v2 .*-id $id" | head -1)
	if [ -n "$shim" ]; then
		for p in $(descendants "$shim"); do
			kb=$(pss_kb "$p")
			total=$((total + ${kb:-0}))
			n=$((n + 1))
		done
	fi
	docker rm -f "$id" >/dev/null 2>&1
	[ -n "$shim" ] && [ "$n" -gt 0 ] || return 1
	echo "$total $n"
}

echo "idle sandbox (docker run -d ${NETWORK:+--network=$NETWORK }visor-busybox sleep 600): Pss of all its processes"
for r in $RUNNERS; do
	if res=$(measure "${RT[$r]}"); then
		set -- $res
		printf '  %-8s %8s kB  (%.2f MiB, %d processes)\n' "$r" "$1" "$(echo "$1 / 1024" | bc -l)" "$2"
	else
		printf '  %-8s %8s\n' "$r" "-"
	fi
done
