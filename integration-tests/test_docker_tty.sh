#!/usr/bin/env bash
# docker_run_tty_output: with -t the app's output comes back through the
# pty visor hands to the shim over --console-socket (run and exec).
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
out=$(dr -t visor-busybox echo through-the-tty 2>&1) || fail "docker run -t: $out"
echo "$out" | grep -q through-the-tty || fail "docker run -t printed: $out"
# The app has a terminal: tty names /dev/pts/N, and the window size set on
# it is what stty reports (script(1) gives the docker client a pty to size).
# The client resizes the pty after the container starts (as under runc), so
# the app waits for a size to arrive (busybox stty exits 0 even when it
# cannot read one, so the loop looks at what it printed).
inner='tty; i=0; while [ $i -lt 50 ]; do s=$(stty size 2>/dev/null); case "$s" in [1-9]*) break;; esac; i=$((i+1)); sleep 0.1; done; echo "$s"; sleep 0.3'
out=$(script -qc "stty rows 33 cols 101; timeout 60 docker run --rm -t --runtime=$DOCKER_RUNTIME visor-busybox sh -c '$inner'" /dev/null 2>&1 | tr -d '\r')
echo "$out" | grep -q '^/dev/pts/[0-9]*$' || fail "tty inside docker run -t: $out"
echo "$out" | grep -q '^33 101$' || fail "stty size inside docker run -t: $out"
id=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" visor-busybox sleep 1000) || fail "run -d"
trap 'docker rm -f "$id" >/dev/null 2>&1' EXIT
out=$(timeout 60 docker exec -t "$id" echo exec-tty 2>&1) || fail "docker exec -t: $out"
echo "$out" | grep -q exec-tty || fail "docker exec -t printed: $out"
# docker run -it: stdin, stdout and stderr are one terminal, so bash -i gets
# job control from the dup of stderr it keeps (tcgetpgrp on fd 2), as under
# runc ("cannot set terminal process group ... no job control" otherwise).
docker_import_debian
out=$(timeout 60 script -qc "docker run --rm -i -t --runtime=$DOCKER_RUNTIME $DEBIAN_IMAGE \
	bash -i -c 'echo jobs-ok'" /dev/null </dev/null 2>&1 | tr -d '\r')
echo "$out" | grep -q jobs-ok || fail "bash -i under docker run -it: $out"
echo "$out" | grep -q 'no job control' && fail "bash -i under docker run -it has no job control: $out"
# Keys and resizes at the terminal of docker run -it, as under runc: the
# host pty's line discipline (the guest's termios) raises SIGINT, SIGQUIT,
# SIGTSTP and SIGWINCH, and they reach the guest's foreground job: ^C ends
# sleep (130), ^\ quits it (131), ^Z stops it (bash says Stopped; jobs, fg
# and ^C), a TIOCSWINSZ on the master reaches a WINCH trap with the new
# size, and with ISIG off ^C is a byte the app reads.  runc first, as the
# reference the driver is checked against.
keys_py=$(mktemp)
trap 'docker rm -f "$id" >/dev/null 2>&1; rm -f "$keys_py"' EXIT
cat >"$keys_py" <<'PY'
import os, pty, sys, time, select, fcntl, termios, struct, signal
rt = sys.argv[1]; img = sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ['PS1'] = 'PROMPT$ '
    os.execvp('docker', ['docker', 'run', '--rm', '-it', '-e', 'PS1=PROMPT$ ', '--runtime=' + rt, img, 'bash', '--norc', '-i'])
buf = b''
def readuntil(pat, t=20):
    global buf
    end = time.time() + t
    while time.time() < end:
        i = buf.find(pat)
        if i >= 0:
            out = buf[:i + len(pat)]; buf = buf[i + len(pat):]; return out
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try: d = os.read(fd, 4096)
            except OSError: break
            if not d: break
            buf += d
    raise SystemExit('timeout waiting for %r; got %r' % (pat, buf[-400:]))
def send(s): os.write(fd, s)
def step(name, f):
    try:
        f(); print('OK', name, flush=True)
    except SystemExit as e:
        print('FAIL', name, e, flush=True)
readuntil(b'PROMPT$ ', 60)
send(b'echo hi-$((1+1))\r'); readuntil(b'hi-2'); readuntil(b'PROMPT$ ')
def ctrlc():
    send(b'sleep 100\r'); time.sleep(1.0); send(b'\x03'); readuntil(b'PROMPT$ ', 10)
    send(b'echo rc=$?\r'); readuntil(b'rc=130')
    readuntil(b'PROMPT$ ')
step('ctrl-c', ctrlc)
def ctrlz():
    send(b'sleep 100\r'); time.sleep(1.0); send(b'\x1a'); readuntil(b'Stopped', 10); readuntil(b'PROMPT$ ')
    send(b'jobs\r'); readuntil(b'sleep 100'); readuntil(b'PROMPT$ ')
    send(b'fg\r'); readuntil(b'sleep 100'); time.sleep(0.5); send(b'\x03'); readuntil(b'PROMPT$ ', 10)
    send(b'echo rc=$?\r'); readuntil(b'rc=130'); readuntil(b'PROMPT$ ')
step('ctrl-z', ctrlz)
def quit_():
    send(b'sleep 100\r'); time.sleep(1.0); send(b'\x1c'); readuntil(b'PROMPT$ ', 10)
    send(b'echo rc=$?\r'); readuntil(b'rc=131'); readuntil(b'PROMPT$ ')
step('ctrl-backslash', quit_)
def winch():
    # the foreground job (not bash) traps WINCH and prints the new size
    send(b"sh -c 'trap \"echo WINCH \\$(stty size); exit 0\" WINCH; while :; do sleep 0.1; done'\r")
    time.sleep(1.5)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 41, 107, 0, 0))
    readuntil(b'WINCH 41 107', 10); readuntil(b'PROMPT$ ', 10)
    send(b'stty size\r'); readuntil(b'41 107'); readuntil(b'PROMPT$ ')
step('winch', winch)
def raw():
    # ISIG off: ^C is a byte for the app
    send(b"stty -isig -icanon min 1; dd bs=1 count=1 2>/dev/null | od -An -c; stty isig icanon\r"); time.sleep(1.0); send(b'\x03')
    readuntil(b'003', 10); readuntil(b'PROMPT$ ', 10)
step('isig-off', raw)
send(b'exit\r')
for _ in range(100):
    if os.waitpid(pid, os.WNOHANG)[0]: break
    time.sleep(0.2)
else:
    os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
PY
out=$(timeout 200 python3 "$keys_py" runc "$DEBIAN_IMAGE" 2>&1)
echo "$out" | grep -q FAIL && fail "terminal keys under runc (the reference): $out"
out=$(timeout 200 python3 "$keys_py" "$DOCKER_RUNTIME" "$DEBIAN_IMAGE" 2>&1)
echo "$out" | grep -q FAIL && fail "terminal keys under docker run -it: $out"
[ "$(echo "$out" | grep -c '^OK')" = 5 ] || fail "terminal keys under docker run -it: $out"
exit 0
