#!/usr/bin/env bash
# make bench, HTTP over the bridge: nginx (Debian's nginx-light, its default
# site) in a container serving a 4 KiB file, wrk on the host against the
# container's address on a Docker bridge network ($BENCH_NET), $WRK_SECS s,
# $WRK_CONNS connections, $WRK_THREADS threads: requests/s under runc,
# visor ptrace and visor systrap, one run each, and the ratios visor/runc
# (target >= 0.8).
#
# nginx runs as one process (master_process off) under every runtime: its
# master gives each worker a socketpair with ioctl(FIOASYNC) and F_SETOWN,
# which visor's Sentry refuses today (ENOTTY, EINVAL), so no worker starts.
#
# runsc is registered --network=none here (bench_lib.sh): it has no
# interface on the bridge, so its column is "n/a".
set -u
cd "$(dirname "$0")/.."
WRK_SECS=${WRK_SECS:-5}
WRK_CONNS=${WRK_CONNS:-32}
WRK_THREADS=${WRK_THREADS:-2}
# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_docker_setup
[ $have_docker = 1 ] || { echo "net_nginx: no Docker, skipped"; exit 0; }
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1
command -v wrk >/dev/null || { echo "net_nginx: no wrk on the host, skipped"; exit 0; }
bench_net_setup
[ $have_net = 1 ] || { echo "net_nginx: cannot create network $BENCH_NET, skipped"; exit 0; }
bench_apps_image || { echo "net_nginx: cannot build $APPS_IMAGE, skipped"; exit 0; }

cid=""
trap '[ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1' EXIT

# measure RUNTIME: requests/s of one wrk run, or "-".
measure() {
	local ip out
	cid=$(timeout 60 docker run -d --network="$BENCH_NET" --runtime="$1" "$APPS_IMAGE" \
		sh -c 'head -c 4096 /dev/urandom >/var/www/html/4k && exec nginx -g "daemon off; master_process off;"' \
		2>/dev/null) || { echo -; return; }
	ip=$(bench_ctr_ip "$cid")
	out=""
	if [ -n "$ip" ] && bench_wait_tcp "$ip" 80 && curl -sf -o /dev/null "http://$ip/4k"; then
		out=$(timeout $((WRK_SECS + 30)) wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WRK_SECS}s" \
			"http://$ip/4k" 2>/dev/null)
	fi
	docker rm -f "$cid" >/dev/null 2>&1
	cid=""
	local rps
	rps=$(echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
	# Errors (non-2xx, socket errors) make the figure meaningless.
	if [ -z "$rps" ] || echo "$out" | grep -q "Non-2xx"; then
		echo -
	else
		echo "$rps"
	fi
}

declare -A R
for r in runc ptrace systrap; do
	R[$r]=$(measure "${RT[$r]}")
done
printf '%-10s %10s %10s %10s %10s %10s %10s\n' "nginx" runc runsc "visor-pt" "visor-st" \
	"pt/runc" "st/runc"
printf '%-10s %10s %10s %10s %10s %10s %10s\n' "4k_rps" "${R[runc]}" n/a "${R[ptrace]}" \
	"${R[systrap]}" "$(bench_ratio "${R[ptrace]}" "${R[runc]}")" \
	"$(bench_ratio "${R[systrap]}" "${R[runc]}")"
echo "(requests/s, wrk ${WRK_THREADS}t/${WRK_CONNS}c ${WRK_SECS}s from the host over bridge network $BENCH_NET;"
echo " runsc runs with --network=none: no interface on the bridge, n/a)"
