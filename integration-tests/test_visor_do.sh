#!/usr/bin/env bash
# `visor do`: static and dynamic programs in a sandbox over the host root,
# exit codes, stdin, isolation (ps, uname), and the Sentry's jail.
set -u
. "$(dirname "$0")/platform.sh"
fail() { echo "FAIL: $*"; exit 1; }
BB=/bin/busybox
[ -x $BB ] || { echo "busybox-static missing"; exit 1; }

out=$("$VISOR" do $BB echo hello) || fail "echo exited $?"
[ "$out" = hello ] || fail "echo printed '$out'"

"$VISOR" do $BB sh -c 'exit 42'; rc=$?
[ $rc -eq 42 ] || fail "exit 42 gave $rc"

# A child killed by SIGKILL reports 137; init itself ignores signals it has
# no handler for, as a pid namespace's init does on Linux.
out=$("$VISOR" do $BB sh -c "$BB sleep 10 & kill -9 \$!; wait \$!; echo child \$?; kill -TERM \$\$; echo init alive")
[ "$out" = "$(printf 'child 137\ninit alive')" ] || fail "signals: '$out'"

out=$(echo data | "$VISOR" do $BB cat) || fail "cat exited $?"
[ "$out" = data ] || fail "stdin: '$out'"

# A host /dev/null given as stdin (what the shim gives docker run without
# -i) is /dev/null in /proc/self/fd, as under runc; a host pipe is a pipe.
out=$("$VISOR" do $BB readlink /proc/self/fd/0 </dev/null) || fail "readlink exited $?"
[ "$out" = /dev/null ] || fail "stdin /dev/null shows as '$out'"
out=$(echo | "$VISOR" do $BB readlink /proc/self/fd/0) || fail "readlink exited $?"
case $out in pipe:\[*\]) ;; *) fail "stdin pipe shows as '$out'" ;; esac

# stdout and stderr redirected to one file share its offset, as on Linux.
f=$(mktemp)
"$VISOR" do $BB sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2' >"$f" 2>&1
[ "$(cat "$f")" = "$(printf 'out1\nerr1\nout2\nerr2')" ] || fail "shared file offset: $(cat "$f")"
rm -f "$f"

out=$("$VISOR" do $BB uname -r) || fail "uname exited $?"
[ "$out" = 6.1.0-visor ] || fail "uname -r: $out"

out=$("$VISOR" do /bin/sh -c 'echo $((6*7)); x=$(echo sub); echo $x | /bin/cat') || fail "dash exited $?"
[ "$out" = "$(printf '42\nsub')" ] || fail "dynamic sh: '$out'"

out=$("$VISOR" do $BB sh -c "$BB sleep 5 & $BB ps -o pid,comm | $BB wc -l")
# header + sh + sleep + ps + wc
[ "$out" -le 5 ] || fail "ps shows host processes: $out lines"

out=$("$VISOR" do $BB cat /proc/self/status | grep '^Pid:') || fail "proc status"
[ -n "$out" ] || fail "no Pid line"

"$VISOR" do /nonexistent 2>/dev/null; rc=$?
[ $rc -eq 127 ] || fail "missing binary gave $rc"

# The jail: the Sentry has Seccomp 2 and an empty root.
"$VISOR" do $BB sleep 3 &
vpid=$!
sentry=""
for i in $(seq 50); do
	sentry=$(pgrep -P "$vpid" -f " boot " | head -1)
	[ -n "$sentry" ] && break
	sleep 0.1
done
[ -n "$sentry" ] || fail "no sentry process"
sleep 0.5
grep -q '^Seccomp:[[:space:]]*2' /proc/$sentry/status || fail "sentry not under seccomp"
n=$(ls -A /proc/$sentry/root | wc -l)
[ "$n" -eq 0 ] || fail "sentry root not empty: $(ls -A /proc/$sentry/root)"
for stub in $(pgrep -P "$sentry"); do
	grep -q '^Seccomp:[[:space:]]*2' /proc/$stub/status || fail "stub $stub not under seccomp"
done
wait $vpid || fail "sleep under visor exited $?"

# --file-access reaches the Sentry, also when given after `do`: with
# exclusive (the default) a name the sandbox saw stays cached after the host
# removes it; with shared every walk asks the Gofer again.  The sandbox
# sleeps rather than polls for a name the host makes: under exclusive a name
# looked up as missing stays missing (goferfs keeps missing names), so such a
# poll would never end.
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp $BB "$d/busybox"
seen_after_host_rm() {
	rm -f "$d/ready"
	echo x >"$d/f"
	(
		for i in $(seq 200); do
			[ -e "$d/ready" ] && break
			sleep 0.05
		done
		rm -f "$d/f"
	) &
	"$VISOR" "$@" --root-dir="$d" --rw --no-dev /busybox sh -c \
		'x=$(/busybox stat -c %n /f); /busybox touch /ready; /busybox sleep 3
		 if /busybox stat -c %n /f >/busybox.out 2>&1; then echo cached; else echo gone; fi'
	wait
}
out=$(seen_after_host_rm do) || fail "exclusive run exited $?"
[ "$out" = cached ] || fail "--file-access=exclusive: '$out'"
out=$(seen_after_host_rm --file-access=shared do) || fail "shared run exited $?"
[ "$out" = gone ] || fail "--file-access=shared before do: '$out'"
out=$(seen_after_host_rm do --file-access=shared) || fail "shared run exited $?"
[ "$out" = gone ] || fail "--file-access=shared after do: '$out'"

# A flag that does nothing yet is refused, not silently ignored.
err=$("$VISOR" --overlay do $BB true 2>&1) && fail "--overlay accepted"
echo "$err" | grep -q 'overlay is not implemented' || fail "--overlay message: $err"
exit 0
