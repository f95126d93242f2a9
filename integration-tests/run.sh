#!/usr/bin/env bash
# Run every integration-tests/test_*.sh.  Each exits 0 (pass), 77 (skipped:
# says why) or anything else (fail).  Results go to build/test-results.
set -u
cd "$(dirname "$0")/.."
results=${RESULTS:-build/test-results}
mkdir -p "$(dirname "$results")"
export VISOR=${VISOR:-$PWD/build/visor}
rc=0
for t in integration-tests/test_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
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
done
exit $rc
