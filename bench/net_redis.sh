#!/usr/bin/env bash
# make bench, a key-value server over the bridge: redis-server (Debian's)
# in a container, redis-benchmark -t get,set on the host against the
# container's address on a Docker bridge network ($BENCH_NET):
# $REDIS_N requests, $REDIS_CONNS connections, 3-byte values; requests/s
# under runc, visor ptrace and visor systrap, one run each, and the ratios
# visor/runc (target >= 0.8).
#
# runsc is registered --network=none here (bench_lib.sh): it has no
# interface on the bridge, so its column is "n/a".
#
# BENCH_VISOR_BASE=/path/to/an/older/visor adds that build on both
# platforms to the same run (rows "*-base", bench_register_base), so a
# change is measured before and after against the same runc figures.
set -u
cd "$(dirname "$0")/.."
REDIS_N=${REDIS_N:-50000}
REDIS_CONNS=${REDIS_CONNS:-50}
# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_docker_setup
[ $have_docker = 1 ] || { echo "net_redis: no Docker, skipped"; exit 0; }
command -v redis-benchmark >/dev/null || apt-get install -y -qq redis-tools >/dev/null 2>&1
command -v redis-benchmark >/dev/null ||
	{ echo "net_redis: no redis-benchmark on the host, skipped"; exit 0; }
bench_net_setup
[ $have_net = 1 ] || { echo "net_redis: cannot create network $BENCH_NET, skipped"; exit 0; }
bench_apps_image || { echo "net_redis: cannot build $APPS_IMAGE, skipped"; exit 0; }

cid=""
trap '[ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1' EXIT

# measure RUNTIME: sets R[RUNTIME,get] and R[RUNTIME,set] (requests/s or "-").
declare -A R
measure() {
	local r=$1 ip out=""
	R[$r,get]=-
	R[$r,set]=-
	cid=$(timeout 60 docker run -d --network="$BENCH_NET" --runtime="${RT[$r]}" "$APPS_IMAGE" \
		redis-server --protected-mode no --save '' --appendonly no 2>/dev/null) || return
	ip=$(bench_ctr_ip "$cid")
	if [ -n "$ip" ] && bench_wait_tcp "$ip" 6379; then
		out=$(timeout 300 redis-benchmark -h "$ip" -t get,set -n "$REDIS_N" \
			-c "$REDIS_CONNS" --csv 2>/dev/null)
	fi
	docker rm -f "$cid" >/dev/null 2>&1
	cid=""
	# "SET","12345.68",... (newer) or "SET","12345.68" (older)
	local v
	v=$(echo "$out" | awk -F'"' '$2 == "GET" { printf "%.0f", $4 }')
	[ -n "$v" ] && R[$r,get]=$v
	v=$(echo "$out" | awk -F'"' '$2 == "SET" { printf "%.0f", $4 }')
	[ -n "$v" ] && R[$r,set]=$v
}

runners=(runc ptrace systrap)
bench_register_base && runners+=(ptrace-base systrap-base)
for r in "${runners[@]}"; do
	measure "$r"
done
printf '%-10s %10s %10s %10s %10s %10s %10s\n' "redis" runc runsc "visor-pt" "visor-st" \
	"pt/runc" "st/runc"
for t in get set; do
	printf '%-10s %10s %10s %10s %10s %10s %10s\n' "${t}_rps" "${R[runc,$t]}" n/a \
		"${R[ptrace,$t]}" "${R[systrap,$t]}" \
		"$(bench_ratio "${R[ptrace,$t]}" "${R[runc,$t]}")" \
		"$(bench_ratio "${R[systrap,$t]}" "${R[runc,$t]}")"
	[ -n "${R[ptrace-base,$t]:-}" ] &&
		printf '%-10s %10s %10s %10s %10s %10s %10s\n' "${t}-base" "${R[runc,$t]}" n/a \
			"${R[ptrace-base,$t]}" "${R[systrap-base,$t]}" \
			"$(bench_ratio "${R[ptrace-base,$t]}" "${R[runc,$t]}")" \
			"$(bench_ratio "${R[systrap-base,$t]}" "${R[runc,$t]}")"
done
echo "(requests/s, redis-benchmark -n $REDIS_N -c $REDIS_CONNS from the host over bridge network"
echo " $BENCH_NET; runsc runs with --network=none: no interface on the bridge, n/a)"
[ -n "${R[ptrace-base,get]:-}" ] && echo "(*-base rows: BENCH_VISOR_BASE=$BENCH_VISOR_BASE, same run)"
