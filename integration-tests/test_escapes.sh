#!/usr/bin/env bash
# Escapes (issue 13 point 4), first cases, under `visor do` over a scratch
# root: symlinks made in the root to host paths (absolute and relative),
# /proc/self/exe, /proc/1/root and /proc/*/cwd stay inside, and kill/ptrace
# aimed at a host pid (this script's own) reach nothing.  Each case prints
# its result; any escape fails the test.
set -u
. "$(dirname "$0")/platform.sh"
fail=0
BB=/bin/busybox
[ -x $BB ] || { echo "busybox-static missing"; exit 77; }
T=$(mktemp -d /tmp/visor-escapes-XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/outside" "$T/root/bin" "$T/root/proc" "$T/root/dev" "$T/root/tmp" "$T/root/sys"
echo HOSTSECRET >"$T/outside/secret"
cp $BB "$T/root/bin/busybox"
echo inside >"$T/root/marker"
ln -s "$T/outside/secret" "$T/root/abs"
ln -s ../../../../../../../../"$T/outside/secret" "$T/root/rel"
V() { timeout 60 "$VISOR" do --root-dir="$T/root" --rw /bin/busybox sh -c "$1" 2>&1; }
case_() { # NAME RESULT BAD-PATTERN
	if printf '%s' "$2" | grep -q -- "$3"; then
		echo "ESCAPE  $1: $2"
		fail=1
	else
		echo "held    $1: $(printf '%s' "$2" | tr '\n' ' ' | head -c 100)"
	fi
}
case_ "absolute symlink in the root to a host file" "$(V '/bin/busybox cat /abs')" HOSTSECRET
case_ "relative symlink climbing out of the root" "$(V '/bin/busybox cat /rel')" HOSTSECRET
case_ "symlink made inside to a host path" \
	"$(V "/bin/busybox ln -s $T/outside/secret /tmp/l && /bin/busybox cat /tmp/l")" HOSTSECRET
case_ "/proc/self/exe names a path inside" "$(V '/bin/busybox readlink /proc/self/exe')" "$T"
case_ "/proc/1/root is the sandbox root" "$(V '/bin/busybox ls /proc/1/root/; /bin/busybox cat /proc/1/root/marker')" outside
out=$(V '/bin/busybox ls /proc/1/root/marker')
[ "$out" = /proc/1/root/marker ] || { echo "ESCAPE  /proc/1/root: no marker ($out)"; fail=1; }
case_ "/proc/*/cwd stay inside" "$(V 'cd /tmp; for c in /proc/[0-9]*/cwd; do /bin/busybox readlink $c; done')" "$T"
case_ "kill of a host pid (this test's $$)" "$(V "/bin/busybox kill -TERM $$; echo rc=\$?")" "rc=0"
kill -0 $$ || fail=1
sleep 60 &
host=$!
case_ "kill -9 of a host process ($host)" "$(V "/bin/busybox kill -9 $host; echo rc=\$?")" "rc=0"
kill -0 $host 2>/dev/null || { echo "ESCAPE  a host process was killed"; fail=1; }
kill $host
wait $host 2>/dev/null
[ $fail -eq 0 ] && echo "no escape"
exit $fail
