#!/usr/bin/env bash
# Conformance: small static C programs, one syscall family each, run natively
# and under `visor do`; their outputs must be identical.  gofer_*.c programs
# get a writable host directory (under visor: the sandbox's gofer-backed
# root) and may have the test check files on the host while they run.
set -u
cd "$(dirname "$0")/.."
. integration-tests/platform.sh
out=build/conformance
mkdir -p "$out"
fail=0

# Run CMD... with a FIFO on its stdin, its output to stdout.  Each line
# "hostcheck NAME" it prints is answered, once NAME in DIR (a host directory)
# has been looked at from the host (its checksum and first bytes, appended
# after the program's output), by a line on its stdin: so a program checks
# what reached the host while it still runs (an msync, not its exit).
run_hostcheck() {
	local dir=$1 scratch
	shift
	scratch=$(mktemp -d)
	mkfifo "$scratch/in"
	# The program opens out only once a writer opened in (below): made
	# here, so that the loop's first grep finds it.
	: >"$scratch/out"
	"$@" <"$scratch/in" >"$scratch/out" 2>&1 &
	local pid=$! seen=0 n name rc
	exec 9>"$scratch/in"
	while :; do
		n=$(grep -c '^hostcheck ' "$scratch/out")
		if [ "$n" -gt "$seen" ]; then
			seen=$((seen + 1))
			name=$(grep '^hostcheck ' "$scratch/out" | sed -n "${seen}p" | cut -d' ' -f2)
			{
				echo "host check $seen: $name $(md5sum <"$dir/$name" | cut -d' ' -f1)"
				od -An -c -N 128 "$dir/$name"
			} >>"$scratch/host"
			echo >&9
			continue
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	wait "$pid"
	rc=$?
	exec 9>&-
	cat "$scratch/out"
	echo "exit $rc"
	cat "$scratch/host" 2>/dev/null
	rm -rf "$scratch"
}

# gofer_*: a writable host directory, natively and as the sandbox's root (a
# gofer-backed file system, with the program copied in).
run_gofer() {
	local bin=$1 name=$2 native root
	native=$(mktemp -d)
	root=$(mktemp -d)
	mkdir -p "$root"/dev "$root"/proc "$root"/sys "$root"/tmp "$root"/w
	cp "$bin" "$root/prog"
	want=$(run_hostcheck "$native" "$bin" "$native")
	got=$(run_hostcheck "$root/w" timeout 60 "$VISOR" do --root-dir="$root" --rw /prog /w)
	rm -rf "$native" "$root"
}

# NAME's outputs $want (native) and $got (visor) must be equal.
compare() {
	if [ "$want" != "$got" ]; then
		echo "FAIL $1: output differs (native < > visor)"
		diff <(echo "$want") <(echo "$got") | head -40
		fail=1
	else
		echo "ok $1"
	fi
}

for src in integration-tests/conformance/*.c; do
	name=$(basename "$src" .c)
	# CONFORMANCE_ONLY="a b": run only these programs (while developing).
	if [ -n "${CONFORMANCE_ONLY:-}" ] && [[ " $CONFORMANCE_ONLY " != *" $name "* ]]; then
		continue
	fi
	bin=$out/$name
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		gcc -static -O1 -pthread -Wall -o "$bin" "$src" || { echo "FAIL $name: build"; fail=1; continue; }
	fi
	if [[ $name == gofer_* ]]; then
		run_gofer "$bin" "$name"
		compare "$name"
		continue
	fi
	# Every program gets a writable scratch directory as argv[1]: an empty
	# one natively, the sandbox's own tmpfs under visor (the checkout may
	# live under /tmp).
	tmp=$(mktemp -d)
	native_args=("$tmp")
	args=(/dev/shm)
	# A program marked "conformance: fresh-netns" sees only lo under visor;
	# natively it runs in a new network namespace (and brings lo up), to match.
	native_wrap=()
	if grep -q 'conformance: fresh-netns' "$src"; then
		native_wrap=(unshare -n)
	fi
	want=$("${native_wrap[@]}" "$bin" "${native_args[@]}" 2>&1; echo "exit $?")
	rm -rf "$tmp"
	got=$(timeout 60 "$VISOR" do "$PWD/$bin" "${args[@]}" 2>&1; echo "exit $?")
	compare "$name"
done
exit $fail
