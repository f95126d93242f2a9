#!/usr/bin/env bash
# Hostile input: 20 s of random system calls with random arguments from
# short-lived processes (integration-tests/hostile/syscall_fuzz.c) under
# `visor do`.  The Sentry must stay up, its RSS must not grow by 64 MiB or
# more (sampled from /proc/SENTRY/status at the start and at the end), and
# the run must exit 0 having printed "syscall_fuzz: done".
# SYSCALL_FUZZ_SECONDS and SYSCALL_FUZZ_SEED override the defaults (20, and
# a seed from the clock, printed so a failure can be replayed).
# Never run the program natively: as root it would call settimeofday,
# sethostname, delete_module... on the host.
set -u
cd "$(dirname "$0")/.."
. integration-tests/platform.sh
fail() { echo "FAIL: $*"; exit 1; }
secs=${SYSCALL_FUZZ_SECONDS:-20}
seed=${SYSCALL_FUZZ_SEED:-$(date +%s%N)}
bin=build/hostile/syscall_fuzz
mkdir -p build/hostile
if [ ! -x "$bin" ] || [ integration-tests/hostile/syscall_fuzz.c -nt "$bin" ]; then
	gcc -static -O1 -Wall -o "$bin" integration-tests/hostile/syscall_fuzz.c || fail "build"
fi
echo "seed $seed, $secs s, platform $TEST_PLATFORM"

vm_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

outf=$(mktemp)
errf=$(mktemp)
timeout $((secs + 60)) "$VISOR" do "$PWD/$bin" "$secs" "$seed" >"$outf" 2>"$errf" &
vpid=$!
sentry=""
for _ in $(seq 100); do
	for c in $(pgrep -P "$vpid"); do
		sentry=$(pgrep -P "$c" -f " boot " | head -1)
		[ -z "$sentry" ] && grep -q ' boot ' <(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null) && sentry=$c
		[ -n "$sentry" ] && break
	done
	[ -n "$sentry" ] && break
	sleep 0.05
done
[ -n "$sentry" ] || fail "no Sentry process found"
sleep 1
first=$(vm_rss_kb "$sentry")
last=$first
while kill -0 "$sentry" 2>/dev/null; do
	r=$(vm_rss_kb "$sentry")
	[ -n "$r" ] && last=$r
	sleep 0.2
done
wait "$vpid"
rc=$?
cat "$errf" | head -20
echo "Sentry VmRSS: ${first} kB at the start, ${last} kB at the end"
grep -q '^syscall_fuzz: done$' "$outf" || { cat "$outf"; rm -f "$outf" "$errf"; fail "the run did not finish (exit $rc, seed $seed)"; }
rm -f "$outf" "$errf"
[ "$rc" -eq 0 ] || fail "visor do exited $rc (seed $seed)"
[ -n "$first" ] && [ -n "$last" ] || fail "no VmRSS samples"
[ $((last - first)) -lt 65536 ] || fail "Sentry RSS grew by $(((last - first) / 1024)) MiB (seed $seed)"
echo "syscall fuzz: the Sentry survived"
