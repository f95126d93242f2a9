#!/usr/bin/env bash
# bench/handoff.sh: what one app operation costs the host, counted rather
# than timed (counts do not care how loaded the machine is; times on our
# shared 2-core machines do).  For each micro test of bench/microbench.c
# (TESTS, default "getpid futex pipe") and each runner (native, visor
# systrap, systrap with syscall patching, ptrace), perf stat counts, over
# the whole process tree (Sentry, stubs, app), the host syscalls, context
# switches, signals delivered and host futex calls, and prints them per app
# operation (per getpid; per round trip of the ping-pongs), with the
# wall-clock ns/op the test printed (noise; for orientation only).
#
#   BENCH_PIN=1    run every runner pinned to CPU $BENCH_CPU (default 0)
#   HANDOFF_RUNNERS  default "native systrap syspatch ptrace"
#
# Needs perf and tracepoint access (root, or perf_event_paranoid <= -1).
set -u
cd "$(dirname "$0")/.." || exit 1
VISOR=${VISOR:-$PWD/build/visor}
TESTS=${TESTS:-getpid futex pipe}
BENCH_PIN=${BENCH_PIN:-0}
BENCH_CPU=${BENCH_CPU:-0}
read -r -a runners <<<"${HANDOFF_RUNNERS:-native systrap syspatch ptrace}"
out=build/bench
mkdir -p "$out"
gcc -static -O2 -pthread -o "$out/microbench" bench/microbench.c || exit 1
bin=$PWD/$out/microbench
command -v perf >/dev/null || { echo "handoff.sh: no perf" >&2; exit 77; }

declare -A N=([getpid]=20000 [openclose]=5000 [stat]=5000 [pipe]=2000 [futex]=2000 [mmap]=200
	[fork]=300 [forkexec]=100)
pin=()
[ "$BENCH_PIN" = 1 ] && pin=(taskset -c "$BENCH_CPU")
events=raw_syscalls:sys_enter,context-switches,signal:signal_deliver,syscalls:sys_enter_futex

# count RUNNER TEST: "ns syscalls cs signals futex", each per op.
count() {
	local runner=$1 t=$2 n=${N[$2]} cmd=()
	case $runner in
	native) cmd=("$bin" "$t" "$n") ;;
	systrap | ptrace) cmd=("$VISOR" --platform="$runner" "do" "$bin" "$t" "$n") ;;
	syspatch) cmd=(env VISOR_SYSCALL_PATCH=1 "$VISOR" --platform=systrap "do" "$bin" "$t" "$n") ;;
	esac
	local f
	f=$(mktemp)
	"${pin[@]}" perf stat -x, -e "$events" -o "$f" -- "${cmd[@]}" 2>/dev/null |
		awk -v t="$t" '$1 == t {print $2}' >"$f.ns"
	awk -F, -v n="$n" -v ns="$(cat "$f.ns")" '
		$3 == "raw_syscalls:sys_enter" {s = $1} $3 == "context-switches" {c = $1}
		$3 == "signal:signal_deliver" {g = $1} $3 == "syscalls:sys_enter_futex" {x = $1}
		END { if (ns == "" || s == "") { print "? ? ? ? ?"; exit }
		      printf "%d %.1f %.1f %.1f %.1f\n", ns, s / n, c / n, g / n, x / n }' "$f"
	rm -f "$f" "$f.ns"
}

if [ "$BENCH_PIN" = 1 ]; then echo "host cost per app op, pinned to CPU $BENCH_CPU"; else
	echo "host cost per app op, not pinned"; fi
printf '%-8s %-9s %9s %9s %7s %7s %7s\n' test runner ns/op syscalls ctxsw signals futex
for t in $TESTS; do
	for r in "${runners[@]}"; do
		read -r ns s c g x <<<"$(count "$r" "$t")"
		printf '%-8s %-9s %9s %9s %7s %7s %7s\n' "$t" "$r" "$ns" "$s" "$c" "$g" "$x"
	done
done
echo "(per getpid, per round trip of futex/pipe; over Sentry + stubs + app; syspatch:"
echo " systrap with VISOR_SYSCALL_PATCH=1)"
