#!/usr/bin/env bash
# make bench, network part: the same work natively (where meaningful), under
# runc, runsc (--platform=ptrace --network=none), visor ptrace and visor
# systrap (Docker runtimes, all in one Debian image with iperf3 and
# bench/netbench.c), one run, printed as a table with the ratio visor/runsc
# of each figure (for a time, lower is better; for a rate, higher).
#
#   unix     AF_UNIX stream throughput, MB/s ($UNIX_MB MB through a socketpair)
#   iperf3   iperf3 over loopback inside one container, Mbit/s ($IPERF_SECS s)
#   tcp_rr   TCP request/response round trip, us, 64 bytes, $RR_N rounds,
#            pinned to CPU $BENCH_CPU (taskset / --cpuset-cpus)
#   connect  TCP connections per second over loopback ($CONN_N)
#   idle_rss RSS of the sandbox process (visor's Sentry, runsc's sandbox)
#            holding $IDLE_N idle established loopback connections, MiB
#            (target for visor: < 64 MiB); runc and native: kernel memory, "-"
set -u
cd "$(dirname "$0")/.."
UNIX_MB=${UNIX_MB:-1000}
IPERF_SECS=${IPERF_SECS:-3}
RR_N=${RR_N:-5000}
CONN_N=${CONN_N:-1000}
IDLE_N=${IDLE_N:-1000}
BENCH_CPU=${BENCH_CPU:-0}
out=build/bench
mkdir -p "$out"
gcc -static -O2 -Wall -o "$out/netbench" bench/netbench.c || exit 1
bin=$PWD/$out/netbench

# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_docker_setup
IMAGE=visor-netbench
if [ $have_docker = 1 ]; then
	docker_import_debian >/dev/null 2>&1
	tmp=$(mktemp -d)
	cp "$bin" "$tmp/netbench"
	printf 'FROM %s\nRUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iperf3 >/dev/null && rm -rf /var/lib/apt/lists/*\nCOPY netbench /netbench\n' \
		"$DEBIAN_IMAGE" >"$tmp/Dockerfile"
	timeout 900 docker build -q -t "$IMAGE" "$tmp" >/dev/null 2>&1 || have_docker=0
	rm -rf "$tmp"
fi
runners=(native)
[ $have_docker = 1 ] && runners+=(runc runsc ptrace systrap)

# in RUNNER [PIN] CMD...: run CMD natively or in a fresh container.
in_runner() {
	local r=$1 pin=()
	shift
	if [ "$1" = pin ]; then
		pin=(pin)
		shift
	fi
	if [ "$r" = native ]; then
		[ -n "${pin[*]}" ] && set -- taskset -c "$BENCH_CPU" "$@"
		timeout 300 "$@"
	else
		local cpus=()
		[ -n "${pin[*]}" ] && cpus=(--cpuset-cpus="$BENCH_CPU")
		timeout 300 docker run --rm "${cpus[@]}" --runtime="${RT[$r]}" "$IMAGE" "$@"
	fi
}

nb() { [ "$1" = native ] && echo "$bin" || echo /netbench; }

m_unix() { in_runner "$1" "$(nb "$1")" unix "$UNIX_MB" 2>/dev/null | awk '/^unix_stream/ {print $2}'; }
m_rr() { in_runner "$1" pin "$(nb "$1")" rr "$RR_N" 2>/dev/null | awk '/^tcp_rr/ {print $2}'; }
m_connect() { in_runner "$1" "$(nb "$1")" connect "$CONN_N" 2>/dev/null | awk '/^tcp_connect/ {print $2}'; }
m_iperf3() {
	local port=$((5300 + RANDOM % 500))
	in_runner "$1" sh -c "iperf3 -s -1 -p $port >/dev/null 2>&1 & sleep 1; iperf3 -c 127.0.0.1 -p $port -t $IPERF_SECS -f m" \
		2>/dev/null | awk '/receiver/ {print $7}'
}
# The sandbox process's RSS (MiB) with IDLE_N connections held open.
m_idle_rss() {
	local r=$1 id pid rss=""
	case $r in native | runc) return ;; esac
	id=$(docker run -d --runtime="${RT[$r]}" "$IMAGE" /netbench idle "$IDLE_N" 2>/dev/null) || return
	for _ in $(seq 120); do
		docker logs "$id" 2>/dev/null | grep -q '^ready' && break
		sleep 0.5
	done
	if docker logs "$id" 2>/dev/null | grep -q '^ready'; then
		pid=$(docker inspect -f '{{.State.Pid}}' "$id")
		rss=$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status" 2>/dev/null)
		# runsc: the pid is the sandbox's init; its sentry is "runsc-sandbox".
		if [ "$r" = runsc ]; then
			local sb
			sb=$(pgrep -f "runsc-sandbox.*$id" | head -1)
			[ -n "$sb" ] && rss=$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$sb/status")
		fi
	fi
	docker rm -f "$id" >/dev/null 2>&1
	echo "$rss"
}

figures=(unix iperf3 rr connect idle_rss)
declare -A unit=([unix]=MB/s [iperf3]=Mbit/s [rr]=us [connect]=conn/s [idle_rss]=MiB)

echo "network, one run (tcp_rr pinned to CPU $BENCH_CPU)"
printf '%-10s %-7s' figure unit
for r in "${runners[@]}"; do printf '%10s' "$r"; done
printf '%12s%12s\n' "ptr/runsc" "sys/runsc"
for f in "${figures[@]}"; do
	declare -A v=()
	printf '%-10s %-7s' "$f" "${unit[$f]}"
	for r in "${runners[@]}"; do
		v[$r]=$("m_$f" "$r")
		printf '%10s' "${v[$r]:--}"
	done
	printf '%12s%12s\n' "$(bench_ratio "${v[ptrace]:-0}" "${v[runsc]:-0}")" \
		"$(bench_ratio "${v[systrap]:-0}" "${v[runsc]:-0}")"
	unset v
done
echo "(ratios are visor/runsc: above 1 is better for MB/s, Mbit/s and conn/s, below 1 for us and MiB)"
[ $have_docker = 1 ] || echo "(docker not available: only the native column)"
