#!/usr/bin/env bash
# Print the closing line "N passed, N failed[, N skipped]" from a results file.
set -u
f=${1:-build/test-results}
[ -f "$f" ] || { echo "0 passed, 1 failed"; exit 1; }
awk '{p += $3; fl += $4; if ($5 == "skip") s++}
     END {
	if (s > 0) printf "%d passed, %d failed, %d skipped\n", p, fl, s;
	else printf "%d passed, %d failed\n", p, fl;
	exit (fl > 0 || p == 0) }' "$f"
