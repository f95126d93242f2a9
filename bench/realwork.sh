#!/usr/bin/env bash
# bench/realwork.sh [WORKLOAD...]: real workloads (bench/realwork/work.sh:
# forkexec gcc sqlite git tar pystart pythreads tcpecho), the same work
# natively, under runc, under runsc (--platform=ptrace --network=none) and
# under visor on systrap and on ptrace, in one run.  Each workload times
# itself inside the container, so container start is not counted.  Prints
# the milliseconds, each runtime's ratio to runc and the geometric mean of
# those ratios per runtime.  The target: visor systrap's geomean <= 1.3.
#
#   RW_ROUNDS=N   best of N runs of each workload (default 1); round k of
#                 every runner runs before round k+1 of any, and round k
#                 starts with the k-th runner (see run_work)
#   RW_SCALE=P    every workload's count scaled to P percent (default 100)
#   RW_RUNNERS    default "native runc runsc systrap ptrace"
#   RW_TIMEOUT    seconds one workload may take in one runtime (default 900)
#   BENCH_VISOR_BASE  an older visor build to run beside this one (*-base)
#
# The containers run a Debian 12 image with Debian's gcc, make, sqlite3,
# git and python3 (built as the tests build it: docker_build_apps), with
# --network=none (loopback only) and the work on the container's root.
# Native runs use the host's /usr/bin tools (Debian 12 on our machines).
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${RW_ROUNDS:-1}
SCALE=${RW_SCALE:-100}
TMO=${RW_TIMEOUT:-900}
ALL="forkexec gcc sqlite git tar pystart pythreads tcpecho"
WORK=${*:-$ALL}
read -r -a runners <<<"${RW_RUNNERS:-native runc runsc systrap ptrace}"
IMAGE=visor-realwork

# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_docker_setup
if [ $have_docker = 1 ]; then
	(docker_build_apps "$IMAGE" gcc make libc6-dev python3 git sqlite3) || have_docker=0
fi
if [ $have_docker = 0 ]; then
	echo "(docker not available: only the native column)"
	runners=(native)
fi
# BENCH_VISOR_BASE=an older visor build: its columns (systrap-base,
# ptrace-base, for the platforms asked for) join the same run
# (bench_register_base), so a change is measured against its base.
if [ $have_docker = 1 ] && bench_register_base; then
	for r in "${runners[@]}"; do
		case $r in systrap | ptrace) runners+=("$r-base") ;; esac
	done
fi

# run_once RUNNER WORKLOAD: its milliseconds in one run, or nothing.
run_once() {
	local runner=$1 w=$2 out
	if [ "$runner" = native ]; then
		local d
		d=$(mktemp -d)
		out=$(cd / && RW_SCALE=$SCALE RW_DIR=$d PY=/usr/bin/python3 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			timeout "$TMO" bash "$OLDPWD/bench/realwork/work.sh" "$w" 2>/dev/null)
		rm -rf "$d"
	else
		local name=realwork-$$-$RANDOM
		out=$(timeout -k 10 "$TMO" docker run --rm --name "$name" --network=none \
			--runtime="${RT[$runner]}" -e RW_SCALE="$SCALE" \
			-v "$PWD/bench/realwork:/rw:ro" "$IMAGE" bash /rw/work.sh "$w" 2>/dev/null)
		[ $? = 124 ] && docker rm -f "$name" >/dev/null 2>&1
	fi
	awk -v w="$w" '$1 == w && $2 ~ /^[0-9]+$/ {print $2}' <<<"$out"
}

# run_work WORKLOAD: ms[RUNNER,WORKLOAD] = the best of ROUNDS runs for every
# runner.  The rounds alternate the runners (round 1 of each runner, then
# round 2 of each...), so that a change in the machine's load over the run
# reaches every runner alike instead of the ones that happen to run then;
# and each round starts with the next runner, so that no runner always runs
# first.  That matters for the file workloads: a host ext4 without a
# journal (ours) skips the inodes freed in the last minute (in the last
# five while their inode table block is dirty) when it allocates one
# (fs/ext4/ialloc.c: recently_deleted), at a cost per skipped inode, so
# each create costs more the more files were removed just before; the
# runner after one that made and removed 4000 files pays for them (tar's
# creates measured at 35 us each in a quiet state and 300-400 us after).
run_work() {
	local w=$1 r runner out k n=${#runners[@]}
	for r in "${runners[@]}"; do ms[$r,$w]=""; done
	for r in $(seq "$ROUNDS"); do
		for k in $(seq 0 $((n - 1))); do
			runner=${runners[$(((k + r - 1) % n))]}
			out=$(run_once "$runner" "$w")
			[ -n "$out" ] && { [ -z "${ms[$runner,$w]}" ] || [ "$out" -lt "${ms[$runner,$w]}" ]; } &&
				ms[$runner,$w]=$out
		done
	done
}

declare -A ms=()
echo "realwork: ms of each workload (best of $ROUNDS, scale $SCALE%), ratio to runc"
printf '%-10s' workload
for r in "${runners[@]}"; do printf '%9s' "$r"; done
printf '  |'
for r in "${runners[@]}"; do [ "$r" != runc ] && printf '%9s' "$r"; done
echo
for w in $WORK; do
	run_work "$w"
	printf '%-10s' "$w"
	for r in "${runners[@]}"; do printf '%9s' "${ms[$r,$w]:-FAIL}"; done
	printf '  |'
	for r in "${runners[@]}"; do
		[ "$r" != runc ] && printf '%9s' "$(bench_ratio "${ms[$r,$w]:-0}" "${ms[runc,$w]:-0}")"
	done
	echo
done
printf '%-10s' geomean
for r in "${runners[@]}"; do printf '%9s' ""; done
printf '  |'
for r in "${runners[@]}"; do
	[ "$r" = runc ] && continue
	g=$(for w in $WORK; do bench_ratio "${ms[$r,$w]:-0}" "${ms[runc,$w]:-0}"; echo; done |
		awk '$1 != "-" { s += log($1); n++ } END { if (n) printf "%.2f", exp(s / n); else printf "-" }')
	printf '%9s' "$g"
done
echo
echo "(runsc: --platform=ptrace --network=none; systrap, ptrace: visor; geomean over the workloads each finished)"
