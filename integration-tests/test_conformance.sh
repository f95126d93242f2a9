#!/usr/bin/env bash
# Conformance: small static C programs, one syscall family each, run natively
# and under `visor do`; their outputs must be identical.
set -u
cd "$(dirname "$0")/.."
. integration-tests/platform.sh
out=build/conformance
mkdir -p "$out"
fail=0
for src in integration-tests/conformance/*.c; do
	name=$(basename "$src" .c)
	bin=$out/$name
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		gcc -static -O1 -pthread -Wall -o "$bin" "$src" || { echo "FAIL $name: build"; fail=1; continue; }
	fi
	args=()
	native_args=()
	if [ "$name" = files ]; then
		tmp=$(mktemp -d)
		native_args=("$tmp")
		args=(/dev/shm) # the sandbox's own tmpfs (the checkout may live under /tmp)
	fi
	want=$("$bin" "${native_args[@]}" 2>&1; echo "exit $?")
	[ "$name" = files ] && rm -rf "$tmp"
	got=$(timeout 60 "$VISOR" do "$PWD/$bin" "${args[@]}" 2>&1; echo "exit $?")
	if [ "$want" != "$got" ]; then
		echo "FAIL $name: output differs (native < > visor)"
		diff <(echo "$want") <(echo "$got") | head -40
		fail=1
	else
		echo "ok $name"
	fi
done
exit $fail
