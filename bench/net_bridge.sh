#!/usr/bin/env bash
# make bench, the container's interface: iperf3 between the host and a
# container over a Docker bridge network ($BENCH_NET, bench_lib.sh; the
# container's eth0: visor's
# netstack on an AF_PACKET socket; runc's host kernel), one run each, in
# both directions, Mbit/s, with the ratios visor/runc.
#
#   to_ctr    host client -> iperf3 -s in the container ($IPERF_SECS s)
#   from_ctr  the same connection, data from the container (iperf3 -R)
#
# runsc is registered --network=none here (bench_lib.sh): it has no
# interface on the bridge, so its column is "-".
#
# BENCH_VISOR_BASE=/path/to/an/older/visor adds that build on both
# platforms to the same run (runtimes $DOCKER_RUNTIME-base and
# $DOCKER_RUNTIME-base-systrap) and prints its rows beside this build's,
# so a change is measured before and after against the same runc figures.
set -u
cd "$(dirname "$0")/.."
IPERF_SECS=${IPERF_SECS:-3}
IMAGE=visor-netbench
# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_docker_setup
[ $have_docker = 1 ] || { echo "net_bridge: no Docker, skipped"; exit 0; }
bench_net_setup
[ $have_net = 1 ] || { echo "net_bridge: cannot create network $BENCH_NET, skipped"; exit 0; }
command -v iperf3 >/dev/null || { echo "net_bridge: no iperf3 on the host, skipped"; exit 0; }
docker image inspect "$IMAGE" >/dev/null 2>&1 ||
	{ echo "net_bridge: image $IMAGE missing (bench/net_bench.sh builds it), skipped"; exit 0; }

declare -A R
cid=""
trap '[ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1' EXIT

# iperf RUNNER DIR(""/-R): Mbit/s of one run, or "-".
measure() {
	local rt=$1 dir=$2 ip out
	cid=$(timeout 60 docker run -d --network="$BENCH_NET" --runtime="$rt" "$IMAGE" iperf3 -s -1 \
		2>/dev/null) || { echo -; return; }
	ip=$(bench_ctr_ip "$cid")
	out=""
	local i
	for i in $(seq 5); do
		out=$(timeout $((IPERF_SECS + 30)) iperf3 -c "$ip" --connect-timeout 3000 -t "$IPERF_SECS" $dir -J 2>/dev/null) &&
			break
		sleep 0.5
	done
	docker rm -f "$cid" >/dev/null 2>&1
	cid=""
	echo "$out" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print("%.0f" % (d["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception:
    print("-")'
}

runners=(runc ptrace systrap)
bench_register_base && runners+=(ptrace-base systrap-base)
for r in "${runners[@]}"; do
	R[$r,to]=$(measure "${RT[$r]}" "")
	R[$r,from]=$(measure "${RT[$r]}" -R)
done
printf '%-13s %10s %10s %10s %10s %14s %14s\n' "bridge" runc runsc "visor-pt" "visor-st" \
	"pt/runc" "st/runc"
for d in to from; do
	name=$([ $d = to ] && echo to_ctr || echo from_ctr)
	printf '%-13s %10s %10s %10s %10s %14s %14s\n' "$name" "${R[runc,$d]}" n/a \
		"${R[ptrace,$d]}" "${R[systrap,$d]}" \
		"$(bench_ratio "${R[ptrace,$d]}" "${R[runc,$d]}")" \
		"$(bench_ratio "${R[systrap,$d]}" "${R[runc,$d]}")"
	[ -n "${R[ptrace-base,$d]:-}" ] &&
		printf '%-13s %10s %10s %10s %10s %14s %14s\n' "$name-base" "${R[runc,$d]}" n/a \
			"${R[ptrace-base,$d]}" "${R[systrap-base,$d]}" \
			"$(bench_ratio "${R[ptrace-base,$d]}" "${R[runc,$d]}")" \
			"$(bench_ratio "${R[systrap-base,$d]}" "${R[runc,$d]}")"
done
echo "(Mbit/s over bridge network $BENCH_NET; runsc runs with --network=none: no interface on"
echo " the bridge, n/a)"
[ -n "${R[ptrace-base,to]:-}" ] && echo "(*-base rows: BENCH_VISOR_BASE=$BENCH_VISOR_BASE, same run)"
