#!/usr/bin/env bash
# `visor exec` and `visor ps` in a running container, as the shim uses them:
# output, stdin, exit status, --user/--cwd/--env, --detach with --pid-file,
# --process FILE, ps listing the exec'd process, a missing program, and a
# terminal handed over --console-socket.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (namespaces)"
T=$(mktemp -d /tmp/visor-exec-XXXXXX)
ROOT=$T/state
V() { "$VISOR" --root "$ROOT" --log "$T/log" "$@"; }
# How many processes `visor ps` lists (its json holds host pids, not sandbox ones).
nps() { V ps --format json x1 | tr -d '[]\n' | awk -F, '{print NF}'; }
cleanup() {
	V delete --force x1 >/dev/null 2>&1
	[ -n "${RECV:-}" ] && kill "$RECV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

make_bundle "$T/b" /bin/sleep 1000
timeout 30 "$VISOR" --root "$ROOT" --log "$T/log" create --bundle "$T/b" x1 </dev/null >/dev/null 2>"$T/e" ||
	fail "create: $(cat "$T/e")"
V start x1 || fail "start"

out=$(timeout 20 "$VISOR" --root "$ROOT" exec x1 /bin/sh -c 'echo in-exec; exit 3' </dev/null)
st=$?
[ $st = 3 ] || fail "exec exit status $st, wanted 3"
[ "$out" = in-exec ] || fail "exec output: $out"
out=$(echo data-in | timeout 20 "$VISOR" --root "$ROOT" exec x1 cat) || fail "exec cat"
[ "$out" = data-in ] || fail "stdin did not reach the exec'd process: $out"
out=$(timeout 20 "$VISOR" --root "$ROOT" exec --user 1000:1000 --cwd /tmp --env FOO=bar x1 \
	/bin/sh -c 'id -u; id -g; pwd; echo $FOO; echo $VISOR_TEST' </dev/null) || fail "exec with options"
[ "$out" = "$(printf '1000\n1000\n/tmp\nbar\n1')" ] || fail "exec --user/--cwd/--env: $out"
out=$(timeout 20 "$VISOR" --root "$ROOT" exec x1 echo found-in-path </dev/null) || fail "exec PATH lookup"
[ "$out" = found-in-path ] || fail "PATH lookup output: $out"
timeout 20 "$VISOR" --root "$ROOT" exec x1 /no/such </dev/null 2>"$T/e" && fail "exec of a missing program succeeded"
grep -q '/no/such' "$T/e" || fail "missing program message: $(cat "$T/e")"

# --process FILE (what the shim sends), detached, pid file = a host process
# that lives as long as the exec'd one and exits with its status.
cat >"$T/proc.json" <<'EOF'
{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/sh", "-c", "sleep 1; exit 5"],
 "env": ["PATH=/bin"], "cwd": "/"}
EOF
timeout 20 "$VISOR" --root "$ROOT" exec --process "$T/proc.json" --detach --pid-file "$T/xpid" x1 \
	</dev/null >/dev/null 2>"$T/e" || fail "exec --detach: $(cat "$T/e")"
xpid=$(cat "$T/xpid")
[ -n "$xpid" ] && [ -e "/proc/$xpid" ] || fail "exec --detach pid file names no live process"
n=$(V ps --format json x1 | tr -cd , | wc -c)
[ "$n" -ge 1 ] || fail "ps does not list the exec'd process: $(V ps --format json x1)"
V ps x1 | head -1 | grep -q PID || fail "ps table: $(V ps x1)"
for i in $(seq 50); do [ -e "/proc/$xpid" ] && [ "$(awk '{print $3}' /proc/$xpid/stat 2>/dev/null)" != Z ] || break; sleep 0.1; done
[ -e "/proc/$xpid" ] && [ "$(awk '{print $3}' /proc/$xpid/stat 2>/dev/null)" != Z ] && fail "exec waiter outlived its process"
[ "$(nps)" = 1 ] || fail "ps after the exec'd process ended: $(V ps --format json x1)"

# The shim signals the exec pid it was given (ours): forwarded into the sandbox.
timeout 20 "$VISOR" --root "$ROOT" exec x1 /bin/sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done' \
	</dev/null >/dev/null 2>&1 &
xp=$!
sleep 0.7
kill -TERM $xp
wait $xp
st=$?
[ $st = 9 ] || fail "TERM to visor exec was not forwarded: status $st, wanted 9"
# ... and a SIGKILLed visor exec takes its process with it.
"$VISOR" --root "$ROOT" exec x1 /bin/sleep 1000 </dev/null >/dev/null 2>&1 &
xp=$!
sleep 0.7
[ "$(nps)" = 1 ] && fail "exec'd sleep not listed by ps"
kill -KILL $xp
wait $xp 2>/dev/null
for i in $(seq 30); do [ "$(nps)" = 1 ] && break; sleep 0.1; done
[ "$(nps)" = 1 ] || fail "killing visor exec left its process: $(V ps --format json x1)"

# A terminal: the pty master arrives over --console-socket; output comes through it.
if command -v python3 >/dev/null; then
	python3 - "$T/console.sock" "$T/tty.out" <<'PY' &
import array, os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(256, socket.CMSG_LEN(4))
for lvl, typ, data in anc:
    fds.frombytes(data[:4])
out = b""
deadline = time.time() + 10
while time.time() < deadline and b"tty-ok" not in out:
    try:
        out += os.read(fds[0], 4096)
    except OSError:
        break
open(sys.argv[2], "wb").write(msg + b"|" + out)
PY
	RECV=$!
	for i in $(seq 50); do [ -S "$T/console.sock" ] && break; sleep 0.1; done
	timeout 20 "$VISOR" --root "$ROOT" exec --tty --console-socket "$T/console.sock" x1 \
		/bin/sh -c 'echo tty-ok' </dev/null >/dev/null 2>"$T/e" || fail "exec --tty: $(cat "$T/e")"
	wait "$RECV"
	RECV=
	grep -q '^/dev/ptmx|' "$T/tty.out" || fail "console socket payload: $(cat "$T/tty.out")"
	grep -q 'tty-ok' "$T/tty.out" || fail "no output through the pty: $(cat "$T/tty.out")"
fi

V kill x1 KILL || fail "kill"
timeout 20 "$VISOR" --root "$ROOT" exec x1 true </dev/null 2>/dev/null && {
	sleep 0.5
	timeout 20 "$VISOR" --root "$ROOT" exec x1 true </dev/null 2>/dev/null && fail "exec in a stopped container succeeded"
}
V delete --force x1 || fail "delete"
exit 0
