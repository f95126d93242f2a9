#!/usr/bin/env bash
# Pseudo-terminals inside the sandbox: a program opens /dev/ptmx (Python's
# pty module: openpty, forkpty with setsid + TIOCSCTTY) and talks to a child
# whose stdio is /dev/pts/1 — ttyname, /dev/tty, line editing with echo, ^C
# to the foreground group, SIGWINCH, and SIGHUP + EOF when the master closes.
set -u
. "$(dirname "$0")/platform.sh"
fail() { echo "FAIL: $*"; exit 1; }
PY=/usr/bin/python3
[ -x $PY ] || { echo "SKIP: no python3 on the host"; exit 77; }

# openpty: the pair, the node in /dev/pts, raw data both ways.
out=$("$VISOR" do $PY -c '
import os, pty, stat
m, s = pty.openpty()
st = os.stat(os.ttyname(s))
print(os.ttyname(s), os.major(st.st_rdev), os.minor(st.st_rdev), sorted(os.listdir("/dev/pts")))
os.write(m, b"ab\x7fc\n")
print(repr(os.read(s, 100)), repr(os.read(m, 100)))
os.write(s, b"x\n")
print(repr(os.read(m, 100)))
os.close(m)
print(os.path.exists("/dev/pts/1"), repr(os.read(s, 10)))
') || fail "openpty script exited $?"
expect="/dev/pts/1 136 1 ['1']
b'ac\\n' b'ab\\x08 \\x08c\\r\\n'
b'x\\r\\n'
False b''"
[ "$out" = "$expect" ] || fail "openpty: got
$out"

# forkpty: the child is a session leader on /dev/pts/1 as its controlling tty.
out=$(timeout 60 "$VISOR" do $PY -c '
import os, pty, signal, sys, time, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    got = []
    for s in (signal.SIGINT, signal.SIGWINCH, signal.SIGHUP):
        signal.signal(s, lambda n, f: got.append(n))
    t = os.open("/dev/tty", os.O_RDWR)
    os.write(t, b"via-dev-tty\n")
    print("child", os.ttyname(0), os.getsid(0) == os.getpid(), os.tcgetpgrp(0) == os.getpgrp(), flush=True)
    print("line", repr(sys.stdin.readline()), flush=True)
    while signal.SIGINT not in got: time.sleep(0.01)
    print("sigint", flush=True)
    while signal.SIGWINCH not in got: time.sleep(0.01)
    print("winch", os.get_terminal_size(0).columns, flush=True)
    while signal.SIGHUP not in got: time.sleep(0.01)
    # Hung up: reads give end of file.
    os._exit(7 if os.read(0, 10) == b"" else 8)
out = b""
def wait_for(s):
    global out
    while s not in out:
        out += os.read(fd, 1000)
wait_for(b"child")
wait_for(b"\n")
os.write(fd, b"hello\x15abx\x7fc\r")
wait_for(b"line")
os.write(fd, b"\x03")
wait_for(b"sigint")
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 123, 0, 0))
wait_for(b"winch 123")
os.close(fd)
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace("\r", ""))
print("hup exit", os.waitstatus_to_exitcode(st))
') || fail "forkpty script exited $?"
for want in "via-dev-tty" "child /dev/pts/1 True True" "line 'abc\\n'" "^C" "sigint" "winch 123" "hup exit 7"; do
	case "$out" in *"$want"*) ;; *) fail "forkpty: no '$want' in:
$out" ;; esac
done
# Job control: a background group reading the terminal gets SIGTTIN: a
# handler runs, or (default action) the group stops, as on Linux.
out=$(timeout 60 "$VISOR" do $PY -c '
import os, pty, signal
pid, fd = pty.fork()
if pid == 0:
    for handler in (lambda *a: os._exit(5), signal.SIG_DFL):
        g = os.fork()
        if g == 0:
            os.setpgid(0, 0)
            signal.signal(signal.SIGTTIN, handler)
            try:
                os.read(0, 10)
                os._exit(3)
            except OSError:
                os._exit(4)
        os.setpgid(g, g)
        st = os.waitpid(g, os.WUNTRACED)[1]
        if os.WIFSTOPPED(st):
            print("bg stopped by", os.WSTOPSIG(st), flush=True)
            os.kill(g, signal.SIGKILL)
            os.waitpid(g, 0)
        else:
            print("bg", os.waitstatus_to_exitcode(st), flush=True)
    os._exit(0)
out = b""
while True:
    try:
        d = os.read(fd, 100)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
print(out.decode().replace("\r", "").strip())
') || fail "job control script exited $?"
[ "$out" = "$(printf 'bg 5\nbg stopped by 21')" ] || fail "job control: got
$out"
# An interactive bash with job control on the pty: a background job, a
# foreground cat interrupted by ^C, then the shell carries on.
if [ -x /usr/bin/bash ]; then
	out=$(timeout 60 "$VISOR" do $PY -c '
import os, pty, select, time
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(PS1="PROMPT$ ", TERM="dumb")
    os.execv("/usr/bin/bash", ["bash", "--norc", "--noprofile", "-i"])
out = b""
def wait_for(s, t=15):
    global out
    end = time.time() + t
    while s not in out and time.time() < end:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return
            if not d:
                return
            out += d
wait_for(b"PROMPT$ ")
os.write(fd, b"sleep 0.2 & wait; echo bg-$((1+1)); tty\r")
wait_for(b"bg-2")
wait_for(b"PROMPT$ ", 5)
os.write(fd, b"cat\r")
time.sleep(0.5)
os.write(fd, b"\x03")
os.write(fd, b"echo after-$((2+3))\r")
wait_for(b"after-5")
os.write(fd, b"exit\r")
wait_for(b"no-such-output", 3)
os.waitpid(pid, 0)
print(out.decode(errors="replace").replace("\r", ""))
') || fail "interactive bash script exited $?"
	for want in "bg-2" "/dev/pts/1" "^C" "after-5"; do
		case "$out" in *"$want"*) ;; *) fail "bash -i: no '$want' in:
$out" ;; esac
	done
fi
echo "ok"
