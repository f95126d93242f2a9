#!/usr/bin/env bash
# Run every integration-tests/test_*.sh.  Each exits 0 (pass), 77 (skipped:
# says why) or anything else (fail).  Results go to build/test-results.
#
# The sandboxes run on VISOR_TEST_PLATFORM (unset: the runtime's default,
# systrap).  Then a representative subset of the Docker tests runs again on
# the other platform (VISOR_SECOND_PLATFORM, default ptrace when the first
# pass is on systrap, and systrap when it is on ptrace; empty: no second
# pass), so that both platforms are exercised by every `make test` and the
# whole stays well under 30 minutes on 2 cores.  Its results are named
# NAME@PLATFORM.
set -u
cd "$(dirname "$0")/.."
results=${RESULTS:-build/test-results}
mkdir -p "$(dirname "$results")"
export VISOR=${VISOR:-$PWD/build/visor}
first=${VISOR_TEST_PLATFORM:-systrap}
if [ "$first" = ptrace ]; then
	second=${VISOR_SECOND_PLATFORM-systrap}
else
	second=${VISOR_SECOND_PLATFORM-ptrace}
fi
[ "$second" != "$first" ] || second=
SECOND_SET=${VISOR_SECOND_SET:-"run_echo debian signals python_java inet git sqlite strace idle_memory"}
rc=0

run_one() { # script, result name
	local t=$1 name=$2 st secs start
	echo "=== $name"
	start=$(date +%s)
	timeout --kill-after=10 "${TEST_TIMEOUT:-600}" bash "$t"
	st=$?
	secs=$(($(date +%s) - start))
	case $st in
	0) echo "--- PASS $name (${secs}s)"; echo "integration $name 1 0" >>"$results" ;;
	77) echo "--- SKIP $name"; echo "integration $name 0 0 skip" >>"$results" ;;
	*) echo "--- FAIL $name (exit $st, ${secs}s)"; echo "integration $name 0 1" >>"$results"; rc=1 ;;
	esac
}

for t in integration-tests/test_*.sh; do
	[ -e "$t" ] || continue
	run_one "$t" "$(basename "$t" .sh)"
done
if [ -n "$second" ]; then
	for n in $SECOND_SET; do
		t=integration-tests/test_docker_$n.sh
		[ -e "$t" ] || continue
		VISOR_TEST_PLATFORM=$second run_one "$t" "test_docker_$n@$second"
	done
fi
exit $rc
