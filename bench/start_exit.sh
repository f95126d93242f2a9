#!/usr/bin/env bash
# bench/start_exit.sh — how long a container takes to start and go away:
# `docker run --rm visor-busybox true`, on Docker's default bridge and with
# --network=none, for visor (systrap, ptrace), runc and runsc (Debian's
# runsc runs with --network=none only: no bridge row), in one run.
#
# The runs are interleaved: each round runs every case once, in an order
# rotated by one per round, so that a slow spell of a shared machine lands
# on all cases alike.  Prints the mean and the median per case in ms and
# their ratio to runc on the same network; the ratios are the result.
#
#   ROUNDS=20              rounds (each case once per round, after one warm-up)
#   BASE_VISOR=/path/visor another visor binary (say, main's, built into /tmp)
#                          run as the cases base-systrap and base-ptrace, for a
#                          before/after comparison in the same run
#   NETS="bridge none"     the networks
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${ROUNDS:-20}
NETS=${NETS:-bridge none}
BASE_VISOR=${BASE_VISOR:-}

# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_docker_setup
if [ "$have_docker" != 1 ]; then
	echo "start_exit: docker not available" >&2
	exit 77
fi
runners=(systrap ptrace)
if [ -n "$BASE_VISOR" ]; then
	RT["base-systrap"]=$DOCKER_RUNTIME-base-systrap
	RT["base-ptrace"]=$DOCKER_RUNTIME-base
	DOCKER_RUNTIME=${RT["base-systrap"]} VISOR_BIN=$BASE_VISOR VISOR_TEST_PLATFORM=systrap \
		visor_register_runtime_as >/dev/null 2>&1
	DOCKER_RUNTIME=${RT["base-ptrace"]} VISOR_BIN=$BASE_VISOR VISOR_TEST_PLATFORM=ptrace \
		visor_register_runtime_as >/dev/null 2>&1
	kill -HUP "$(cat /var/run/docker.pid)" 2>/dev/null
	sleep 1
	runners+=(base-systrap base-ptrace)
fi
runners+=(runc runsc)

cases=()
for net in $NETS; do
	for r in "${runners[@]}"; do
		[ "$r" = runsc ] && [ "$net" != none ] && continue
		cases+=("$r:$net")
	done
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# one CASE: the wall time of one run in ms, or "x" when it failed
one() {
	local r=${1%%:*} net=${1#*:} t0 t1
	t0=$(date +%s%N)
	timeout 60 docker run --rm --runtime="${RT[$r]}" --network="$net" visor-busybox true \
		>/dev/null 2>&1 || { echo x; return; }
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

for c in "${cases[@]}"; do one "$c" >/dev/null; done # warm-up
n=${#cases[@]}
for round in $(seq "$ROUNDS"); do
	for i in $(seq 0 $((n - 1))); do
		c=${cases[$(((i + round) % n))]}
		one "$c" >>"$out/${c/:/_}"
	done
done

# stat FILE: "mean median failed"
stat() {
	sort -n "$1" | awk '$1 != "x" { v[n++] = $1; s += $1 } $1 == "x" { f++ }
		END { if (n == 0) { print 0, 0, f + 0; exit }
		      m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
		      printf "%.0f %.0f %d\n", s / n, m, f + 0 }'
}

echo "start+exit: docker run --rm [--network=NET] visor-busybox true, $ROUNDS rounds, interleaved"
printf '  %-22s %8s %8s %7s  %10s %10s\n' case "mean ms" "median" failed "mean/runc" "median/runc"
for net in $NETS; do
	read -r rmean rmed _ < <(stat "$out/runc_$net")
	for c in "${cases[@]}"; do
		[ "${c#*:}" = "$net" ] || continue
		read -r mean med failed < <(stat "$out/${c/:/_}")
		printf '  %-22s %8s %8s %7s  %10s %10s\n' "$c" "$mean" "$med" "$failed" \
			"$(bench_ratio "$mean" "$rmean")" "$(bench_ratio "$med" "$rmed")"
	done
done
echo "(base-*: $([ -n "$BASE_VISOR" ] && echo "$BASE_VISOR" || echo "not run"); runsc: --platform=ptrace --network=none)"
