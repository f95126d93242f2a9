#!/usr/bin/env bash
# make bench: the same work natively, under visor on each platform (ptrace,
# systrap), runc and runsc, in one run, printed as ratios.  Absolute times on
# shared machines are noise; the ratios are the result.
#
#   micro: getpid, open+close, stat, pipe and futex ping-pongs, mmap + touch 64
#          pages + munmap, fork+exit+wait, fork+exec+wait: per-op ns, best of
#          $ROUNDS.  Pinned to CPU $BENCH_CPU (BENCH_PIN=0: not), the same for
#          every runner: under a sandbox most of these are ping-pongs between
#          the app and the kernel serving it.
#   start: `docker run --rm IMAGE true`: mean wall time over $STARTS runs
#          (bench/start_exit.sh: the same on the bridge and with
#          --network=none, interleaved, with medians).
#   concurrent start: $CONC_N such runs, $CONC_PAR at a time: containers/s.
#
# runc and runsc need Docker (started and set up by integration-tests/lib.sh);
# runsc is Debian's, registered with --platform=ptrace --network=none.  visor
# is registered as $VISOR_DOCKER_RUNTIME (ptrace) and $VISOR_DOCKER_RUNTIME-systrap.
set -u
cd "$(dirname "$0")/.."
VISOR=${VISOR:-$PWD/build/visor}
ROUNDS=${ROUNDS:-5}
STARTS=${STARTS:-10}
CONC_N=${CONC_N:-40}
CONC_PAR=${CONC_PAR:-8}
BENCH_PIN=${BENCH_PIN:-1}
BENCH_CPU=${BENCH_CPU:-0}
TESTS=${TESTS:-getpid openclose stat pipe futex mmap fork forkexec}
out=build/bench
mkdir -p "$out"
gcc -static -O2 -pthread -o "$out/microbench" bench/microbench.c || exit 1
bin=$PWD/$out/microbench

declare -A N=([getpid]=20000 [openclose]=5000 [stat]=5000 [pipe]=2000 [futex]=2000 [mmap]=200
	[fork]=300 [forkexec]=100)

pin=()
cpuset=()
if [ "$BENCH_PIN" = 1 ]; then
	pin=(taskset -c "$BENCH_CPU")
	cpuset=(--cpuset-cpus="$BENCH_CPU")
fi

best() { sort -n | head -1; }

# run_micro RUNNER TEST: best per-op ns over ROUNDS.
run_micro() {
	local runner=$1 t=$2
	for r in $(seq "$ROUNDS"); do
		case $runner in
		native) "${pin[@]}" "$bin" "$t" "${N[$t]}" ;;
		ptrace | systrap) "${pin[@]}" "$VISOR" --platform="$runner" do "$bin" "$t" "${N[$t]}" ;;
		syspatch) VISOR_SYSCALL_PATCH=1 "${pin[@]}" "$VISOR" --platform=systrap do "$bin" "$t" \
			"${N[$t]}" ;;
		*) timeout 300 docker run --rm "${cpuset[@]}" --runtime="${RT[$runner]}" visor-bench \
			/microbench "$t" "${N[$t]}" ;;
		esac 2>/dev/null | awk '{print $2}'
	done | best
}

# shellcheck source=bench/bench_lib.sh
. bench/bench_lib.sh
bench_docker_setup
if [ $have_docker = 1 ]; then
	tmp=$(mktemp -d)
	cp "$bin" "$tmp/microbench"
	printf 'FROM visor-busybox\nCOPY microbench /microbench\n' >"$tmp/Dockerfile"
	docker build -q -t visor-bench "$tmp" >/dev/null 2>&1 || have_docker=0
	rm -rf "$tmp"
fi

# syspatch: systrap with syscall patching (VISOR_SYSCALL_PATCH=1)
runners=(native ptrace systrap syspatch)
[ $have_docker = 1 ] && runners+=(runc runsc)

ratio() { bench_ratio "$@"; }

if [ "$BENCH_PIN" = 1 ]; then echo "micro, pinned to CPU $BENCH_CPU"; else echo "micro, not pinned"; fi
printf '%-10s' "ns/op"
for r in "${runners[@]}"; do printf '%10s' "$r"; done
printf '  |%9s%9s%9s%9s  |%9s%9s%9s\n' "ptr/nat" "sys/nat" "sysp/nat" "gvi/nat" "ptr/runc" "sys/runc" \
	"gvi/runc"
for t in $TESTS; do
	declare -A v=()
	printf '%-10s' "$t"
	for r in "${runners[@]}"; do
		v[$r]=$(run_micro "$r" "$t")
		printf '%10s' "${v[$r]:-?}"
	done
	printf '  |%9s%9s%9s%9s  |%9s%9s%9s\n' \
		"$(ratio "${v[ptrace]:-0}" "${v[native]:-0}")" "$(ratio "${v[systrap]:-0}" "${v[native]:-0}")" \
		"$(ratio "${v[syspatch]:-0}" "${v[native]:-0}")" \
		"$(ratio "${v[runsc]:-0}" "${v[native]:-0}")" "$(ratio "${v[ptrace]:-0}" "${v[runc]:-0}")" \
		"$(ratio "${v[systrap]:-0}" "${v[runc]:-0}")" "$(ratio "${v[runsc]:-0}" "${v[runc]:-0}")"
done
echo "(ptr: visor ptrace, sys: visor systrap, sysp: systrap with syscall patching, gvi: runsc --platform=ptrace)"

if [ $have_docker = 1 ]; then
	echo
	echo "container start: docker run --rm visor-busybox true, mean of $STARTS"
	declare -A s=()
	for r in runc runsc ptrace systrap; do
		docker run --rm --runtime="${RT[$r]}" visor-busybox true >/dev/null 2>&1 # warm
		t0=$(date +%s%N)
		ok=1
		for i in $(seq "$STARTS"); do
			timeout 60 docker run --rm --runtime="${RT[$r]}" visor-busybox true >/dev/null 2>&1 ||
				ok=0
		done
		t1=$(date +%s%N)
		if [ $ok = 1 ]; then s[$r]=$(((t1 - t0) / STARTS / 1000000)); else s[$r]=0; fi
		printf '  %-8s %6s ms   /runc %s\n' "$r" "${s[$r]}" "$(ratio "${s[$r]}" "${s[runc]}")"
	done
	echo
	echo "concurrent start: $CONC_N x docker run --rm visor-busybox true, $CONC_PAR at a time"
	declare -A cps=()
	for r in runc runsc ptrace systrap; do
		t0=$(date +%s%N)
		# shellcheck disable=SC2016
		fails=$(seq "$CONC_N" | xargs -P "$CONC_PAR" -I{} sh -c \
			'timeout 120 docker run --rm --runtime="$1" visor-busybox true >/dev/null 2>&1 || echo x' \
			_ "${RT[$r]}" | wc -l)
		t1=$(date +%s%N)
		# containers per second, two decimals; none if any run failed
		if [ "$fails" = 0 ]; then
			cps[$r]=$(awk -v n="$CONC_N" -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", n / (ns / 1e9) }')
		else
			cps[$r]=0
		fi
		printf '  %-8s %6s containers/s (%s failed)   /runc %s\n' "$r" "${cps[$r]}" "$fails" \
			"$(ratio "${cps[$r]}" "${cps[runc]}")"
	done
else
	echo "(docker not available: runc/runsc columns and container start skipped)"
fi
