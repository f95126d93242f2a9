#!/usr/bin/env bash
# Escapes (issue 13 point 4), first cases, under `visor do` over a scratch
# root: symlinks made in the root to host paths (absolute and relative),
# /proc/self/exe, /proc/1/root and /proc/*/cwd stay inside, and kill/ptrace
# aimed at a host pid (this script's own) reach nothing; then (point 4)
# mmap of donated fds beyond their rights, terminal ioctls on host fds,
# ptrace/kill/process_vm/pidfd of host pids, raw syscall instructions and
# jumps into the stub's code, a
# directory/symlink swap race, and the Sentry's and Gofer's jails as the
# kernel reports them.  Each case prints its result; any escape fails.
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

# --- issue 13 point 4, further cases -----------------------------------
PROBE=build/hostile/escape_probe
mkdir -p build/hostile
if [ ! -x "$PROBE" ] || [ integration-tests/hostile/escape_probe.c -nt "$PROBE" ]; then
	gcc -static -O1 -Wall -o "$PROBE" integration-tests/hostile/escape_probe.c ||
		{ echo "FAIL: building escape_probe"; exit 1; }
fi
cp "$PROBE" "$T/root/bin/probe"
P() { timeout 60 "$VISOR" do --root-dir="$T/root" --rw /bin/probe "$@" 2>&1 </dev/null; }

echo readonly >"$T/root/ro"
chmod 0444 "$T/root/ro"
out=$(P mmap /ro)
case_ "mmap of a donated read-only fd beyond its rights (EACCES)" "$out" "SUCCEEDED"
printf '%s' "$out" | grep -q "mmap shared writable of a read-only fd: EACCES" ||
	{ echo "ESCAPE  shared writable mapping of a read-only fd: $out"; fail=1; }
[ "$(cat "$T/root/ro")" = readonly ] || { echo "ESCAPE  a private mapping reached the file"; fail=1; }

out=$(echo | P ioctl)
case_ "TIOCSTI, TIOCSCTTY, TIOCCONS, TIOCSETD on donated host fds" "$out" "SUCCEEDED"
if command -v script >/dev/null; then
	out=$(timeout 60 script -qec "$VISOR do --root-dir=$T/root --rw /bin/probe ioctl" /dev/null </dev/null 2>&1)
	# TIOCSCTTY of the terminal that already is the session's controlling
	# one succeeds on Linux too (it is the Sentry's bookkeeping here).
	case_ "the same on a host terminal (script's pty)" "$out" \
		"TIOCSTI): SUCCEEDED\|TIOCCONS): SUCCEEDED\|TIOCSETD): SUCCEEDED\|TIOCLINUX): SUCCEEDED"
fi

sleep 60 &
host=$!
out=$(P pid $host)
case_ "ptrace(ATTACH/SEIZE), kill, process_vm_readv, pidfd_open of host pid $host" "$out" "SUCCEEDED"
kill -0 $host 2>/dev/null || { echo "ESCAPE  the host process was killed"; fail=1; }
kill $host
wait $host 2>/dev/null

out=$(P raw "$T/outside/secret")
case_ "raw syscall instructions (syscall, int \$0x80) from app code" "$out" "SUCCEEDED\|ANOTHER PID"

# The stub's own code: the app finds it above its top and jumps to each of
# its syscall instructions with mkdir(a host path) in the registers; the
# stub's filter (systrap) or PTRACE_SYSEMU (ptrace) hands every one to the
# Sentry, so nothing is made on the host.
out=$(P stub "$T/outside/pwned")
case_ "jumps into the stub's syscall instructions (mkdir of a host path)" "$out" "SUCCEEDED"
[ ! -e "$T/outside/pwned" ] || { echo "ESCAPE  the stub's syscall made $T/outside/pwned"; fail=1; }

# A directory in the root swapped with a symlink to a host directory
# (renameat2 RENAME_EXCHANGE, as fast as the host can) while the app opens
# through it 10000 times: the Gofer never follows a link, so every open
# reads the file inside or fails, never the host's.
mkdir -p "$T/root/swap"
echo inside >"$T/root/swap/secret"
ln -s "$T/outside" "$T/root/alt"
python3 - "$T/root" <<'PY' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
root = sys.argv[1].encode()
end = time.time() + 120
while time.time() < end and os.path.exists(sys.argv[1] + "/alt"):
    libc.renameat2(-100, root + b"/swap", -100, root + b"/alt", 2)  # RENAME_EXCHANGE
PY
swapper=$!
# --file-access=shared: the Sentry revalidates every open with the Gofer
# (no cached dentry), so each of them races the swap on the host.
out=$(timeout 120 "$VISOR" --file-access=shared do --root-dir="$T/root" --rw /bin/busybox sh -c 'i=0; h=0; n=0; while [ $i -lt 10000 ]; do i=$((i+1)); x=; read x </swap/secret 2>/dev/null; case $x in HOSTSECRET) h=$((h+1));; inside) n=$((n+1));; esac; done; echo "opens 10000 inside $n host $h, the rest ENOENT (the link resolved inside)"' 2>&1 |
	grep -v "can't open")
rm -rf "$T/root/alt" "$T/root/swap"
kill $swapper 2>/dev/null
wait $swapper 2>/dev/null
case_ "swap of a directory and a symlink to the host during 10000 opens" "$out" "host [1-9]"
printf '%s' "$out" | grep -q "opens 10000 inside [1-9]" ||
	{ echo "FAIL    the swap loop did not run: $out"; fail=1; }

# The jails, as the kernel reports them: the Sentry and the Gofer are
# seccomp-filtered (Seccomp: 2) with no_new_privs, and both live in pid,
# network and IPC namespaces of their own.  The Sentry also lives in a user
# namespace of its own, as an unprivileged host id of its own (0x70000000 +
# its host pid) with no capability, and so does every stub it forks (the
# app's processes).
V '/bin/busybox sleep 20' >/dev/null &
vdo=$!
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
# The Sentry's and the Gofer's pids, once both run (the machine may be slow).
sentry= gofer=
for _ in $(seq 14); do
	for pid in $(descendants $vdo); do
		case $(tr '\0' '\n' </proc/$pid/cmdline 2>/dev/null | grep -m1 -x 'gofer\|boot') in
		gofer) gofer=$pid ;;
		boot) [ -n "$sentry" ] || sentry=$pid ;; # the first: its template keeps its cmdline
		esac
	done
	[ -n "$sentry" ] && [ -n "$gofer" ] && break
	sleep 0.5
done
[ -n "$sentry" ] && [ -n "$gofer" ] ||
	{ echo "FAIL    sandbox processes not found (Sentry '$sentry', Gofer '$gofer')"; fail=1; }
for pid in $sentry $gofer; do
	comm=$([ $pid = "$sentry" ] && echo Sentry || echo Gofer)
	st=$(grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs|CapEff):' /proc/$pid/status | tr -s '\t ' ' ' | tr '\n' ' ')
	echo "jail    $comm: $st"
	printf '%s' "$st" | grep -q "Seccomp: 2" || { echo "ESCAPE  $comm is not seccomp-filtered"; fail=1; }
	for ns in pid net ipc; do
		[ "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] ||
			{ echo "ESCAPE  $comm shares the host's $ns namespace"; fail=1; }
	done
done
if [ -n "$sentry" ]; then
	# The Sentry's children: its stubs (and its stub template).
	checked=0
	for pid in $sentry $(pgrep -P "$sentry"); do
		# (a stub replaced by an exec may be gone by now)
		st=$(cat /proc/$pid/status 2>/dev/null) && [ -n "$st" ] || continue
		ids=$(printf '%s\n' "$st" | grep -E '^(Uid|Gid):' | awk '{print $2,$3,$4,$5}' | tr '\n' ' ')
		capeff=$(printf '%s\n' "$st" | awk '/^CapEff:/ {print $2}')
		echo "ids     $pid ($(cat /proc/$pid/comm)): uid/gid $ids CapEff $capeff"
		want=$((0x70000000 + sentry))
		[ "$ids" = "$(printf "$want %.0s" 1 2 3 4 5 6 7 8)" ] ||
			{ echo "ESCAPE  $pid runs with host ids $ids, not the sandbox's $want"; fail=1; }
		[ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ] ||
			{ echo "ESCAPE  $pid shares the host's user namespace"; fail=1; }
		[ "$capeff" = 0000000000000000 ] || { echo "ESCAPE  $pid has capabilities $capeff"; fail=1; }
		checked=$((checked + 1))
	done
	[ $checked -ge 2 ] || { echo "FAIL    only $checked of the Sentry's processes could be checked"; fail=1; }
fi
wait $vdo

[ $fail -eq 0 ] && echo "no escape"
exit $fail
