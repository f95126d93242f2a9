#!/usr/bin/env bash
# make bench, HTTP over the bridge: nginx (Debian's nginx-light, its default
# site) in a container serving a 4 KiB file, wrk on the host against the
# container's address on a Docker bridge network ($BENCH_NET), $WRK_SECS s,
# $WRK_CONNS connections, $WRK_THREADS threads: requests/s under runc,
# visor ptrace and visor systrap, one run each, and the ratios visor/runc
# (target >= 0.8).
#
# nginx runs as one process (master_process off) under every runtime, or,
# with NGINX_MASTER=1, as Debian's configuration runs it: a master and one
# worker per CPU (worker_processes auto).
#
# runsc is registered --network=none here (bench_lib.sh): it has no
# interface on the bridge, so its column is "n/a".
#
# WRK_CONNS may list several counts ("8 32"): one wrk run per count against
# the same container, a row each.  BENCH_VISOR_BASE=/path/to/an/older/visor
# adds that build on both platforms to the same run (rows "*-base",
# bench_register_base).
set -u
cd "$(dirname "$0")/.."
WRK_SECS=${WRK_SECS:-5}
WRK_CONNS=${WRK_CONNS:-8 32}
WRK_THREADS=${WRK_THREADS:-2}
ngx_conf="daemon off; master_process off;"
[ "${NGINX_MASTER:-0}" = 1 ] && ngx_conf="daemon off;"
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

# measure RUNNER: R[RUNNER,CONNS] = requests/s of one wrk run per count in
# $WRK_CONNS, or "-".
declare -A R
measure() {
	local r=$1 ip out c rps
	for c in $WRK_CONNS; do R[$r,$c]=-; done
	cid=$(timeout 60 docker run -d --network="$BENCH_NET" --runtime="${RT[$r]}" "$APPS_IMAGE" \
		sh -c "head -c 4096 /dev/urandom >/var/www/html/4k && exec nginx -g '$ngx_conf'" \
		2>/dev/null) || return
	ip=$(bench_ctr_ip "$cid")
	if [ -n "$ip" ] && bench_wait_tcp "$ip" 80 && curl -sf -o /dev/null "http://$ip/4k"; then
		for c in $WRK_CONNS; do
			out=$(timeout $((WRK_SECS + 30)) wrk -t"$WRK_THREADS" -c"$c" -d"${WRK_SECS}s" \
				"http://$ip/4k" 2>/dev/null)
			rps=$(echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
			# Errors (non-2xx, socket errors) make the figure meaningless.
			[ -n "$rps" ] && ! echo "$out" | grep -q "Non-2xx" && R[$r,$c]=$rps
		done
	fi
	docker rm -f "$cid" >/dev/null 2>&1
	cid=""
}

runners=(runc ptrace systrap)
bench_register_base && runners+=(ptrace-base systrap-base)
for r in "${runners[@]}"; do
	measure "$r"
done
printf '%-10s %10s %10s %10s %10s %10s %10s\n' "nginx" runc runsc "visor-pt" "visor-st" \
	"pt/runc" "st/runc"
for c in $WRK_CONNS; do
	for v in "" -base; do
		[ -n "${R[ptrace$v,$c]:-}" ] || continue
		printf '%-10s %10s %10s %10s %10s %10s %10s\n' "4k_${c}c$v" "${R[runc,$c]}" n/a \
			"${R[ptrace$v,$c]}" "${R[systrap$v,$c]}" \
			"$(bench_ratio "${R[ptrace$v,$c]}" "${R[runc,$c]}")" \
			"$(bench_ratio "${R[systrap$v,$c]}" "${R[runc,$c]}")"
	done
done
echo "(requests/s, wrk ${WRK_THREADS}t/${WRK_CONNS// /,}c ${WRK_SECS}s from the host over bridge network $BENCH_NET;"
echo " runsc runs with --network=none: no interface on the bridge, n/a)"
[ -n "${R[ptrace-base,${WRK_CONNS%% *}]:-}" ] && echo "(*-base rows: BENCH_VISOR_BASE=$BENCH_VISOR_BASE, same run)"
