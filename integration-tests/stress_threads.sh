#!/usr/bin/env bash
# stress_threads: run conformance programs that create threads in quick
# succession many times in a row under `visor do`, each output compared with
# the native one, and count the runs that hung, failed or differed.  Not part
# of run.sh (it takes minutes); run it after touching thread creation in a
# platform:
#   VISOR_TEST_PLATFORM=systrap bash integration-tests/stress_threads.sh [RUNS] [PROG...]
# RUNS defaults to 200, PROG to thread_churn (integration-tests/conformance/).
# Exit 0 when every run matched.
set -u
cd "$(dirname "$0")/.."
. integration-tests/platform.sh
runs=${1:-200}
shift || true
progs=("$@")
[ ${#progs[@]} -gt 0 ] || progs=(thread_churn)
out=build/conformance
mkdir -p "$out"
fail=0
for name in "${progs[@]}"; do
	src=integration-tests/conformance/$name.c
	bin=$out/$name
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		gcc -static -O1 -pthread -Wall -o "$bin" "$src" || { echo "FAIL $name: build"; exit 1; }
	fi
	tmp=$(mktemp -d)
	want=$("$bin" "$tmp" 2>&1; echo "exit $?")
	rm -rf "$tmp"
	ok=0 hung=0 bad=0
	start=$(date +%s)
	for i in $(seq 1 "$runs"); do
		got=$(timeout 120 "$VISOR" do "$PWD/$bin" /dev/shm 2>&1; echo "exit $?")
		if [ "$got" = "$want" ]; then
			ok=$((ok + 1))
		elif [[ $got == *"exit 124" ]]; then
			hung=$((hung + 1))
			echo "run $i of $name: hung (killed after 120 s)"
		else
			bad=$((bad + 1))
			echo "run $i of $name: output differs"
			diff <(echo "$want") <(echo "$got") | head -10
		fi
	done
	echo "$name on ${TEST_PLATFORM}: $ok of $runs ok, $hung hung, $bad differed ($(($(date +%s) - start)) s)"
	[ "$ok" -eq "$runs" ] || fail=1
done
exit $fail
