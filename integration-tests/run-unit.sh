#!/usr/bin/env bash
# Run the cmocka unit-test binaries given as arguments; record per-binary
# counts in build/test-results ("unit NAME PASSED FAILED") for summary.sh.
set -u
results=${RESULTS:-build/test-results}
mkdir -p "$(dirname "$results")"
rc=0
for t in "$@"; do
	out=$(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 "$t" 2>&1)
	st=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	p=${p:-0}
	f=${f:-0}
	# A crash (sanitizer abort, signal) counts as a failure even if cmocka
	# printed no summary.
	if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	[ "$f" -ne 0 ] && rc=1
	echo "unit $(basename "$t") $p $f" >>"$results"
done
exit $rc
