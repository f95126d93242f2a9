#!/usr/bin/env bash
# `visor gofer` as the runtime starts it: bad command lines fail with a message;
# a real gofer on a SOCK_SEQPACKET socket answers protocol requests, is
# seccomp-filtered (Seccomp: 2), keeps only file-owner capabilities, sees only
# the container root (not the host's files), refuses "..", serves a host-root
# sandbox read-only, exits 0 when its peer hangs up, and holds no fd from
# which ".." reaches the host (bind mounts are detached clones).
set -u
fail() { echo "FAIL: $*"; exit 1; }
VISOR=${VISOR:-build/visor}

# Command-line errors need no privileges.
err=$("$VISOR" gofer 2>&1) && fail "gofer without arguments succeeded"
echo "$err" | grep -q 'usage: visor gofer' || fail "usage message: $err"
err=$("$VISOR" gofer --sock-fd=0 --root=/ </dev/null 2>&1) && fail "non-socket fd accepted"
echo "$err" | grep -q 'not a SOCK_SEQPACKET socket' || fail "message: $err"
err=$("$VISOR" gofer --sock-fd=0 --root=/ --mount=relative:/tmp 2>&1) && fail "bad --mount accepted"
echo "$err" | grep -q -- '--mount wants' || fail "message: $err"
err=$("$VISOR" gofer --bogus 2>&1) && fail "unknown option accepted"
echo "$err" | grep -q 'unknown option --bogus' || fail "message: $err"

[ "$(id -u)" -eq 0 ] || { echo "skip: the jail needs root"; exit 77; }
command -v python3 >/dev/null && python3 -c 'import socket' 2>/dev/null ||
	{ echo "skip: needs python3 to drive the socket"; exit 77; }

tmp=$(mktemp -d /tmp/visor-gofer-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/dir" "$tmp/outside/src"
mkdir -p "$tmp/outside/fdir"
echo f >"$tmp/outside/fdir/file"
echo hello >"$tmp/root/marker"
echo secret >"$tmp/outside/secret"

python3 - "$VISOR" "$tmp" <<'EOF' || fail "protocol checks (see above)"
import os, socket, struct, subprocess, sys
visor, tmp = sys.argv[1], sys.argv[2]
HDR = 12
T_ATTACH, T_WALK, T_MKDIR, REPLY, RERROR = 1, 2, 7, 0x8000, 0xffff
EINVAL, EROFS = 22, 30

def die(msg):
    print("FAIL:", msg)
    sys.exit(1)

def msg(typ, tag, body):
    return struct.pack("<IHHI", HDR + len(body), typ, 0, tag) + body

def s(x):
    x = x.encode()
    return struct.pack("<H", len(x)) + x

def call(sock, typ, tag, body):
    sock.send(msg(typ, tag, body))
    r = sock.recv(70000)
    ln, rt, fl, rtag = struct.unpack("<IHHI", r[:HDR])
    if ln != len(r) or fl != 0 or rtag != tag:
        die("bad reply header %r" % (r[:HDR],))
    if rt == RERROR:
        return ("err", struct.unpack("<I", r[HDR:HDR + 4])[0])
    if rt != typ | REPLY:
        die("reply type %#x to %d" % (rt, typ))
    return ("ok", r[HDR:])

def status(pid):
    out = {}
    for line in open("/proc/%d/status" % pid):
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out

def start(*args):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    p = subprocess.Popen([visor, "gofer", "--sock-fd=%d" % b.fileno()] + list(args),
                         pass_fds=(b.fileno(),))
    b.close()
    return a, p

# 1. a container root
sock, p = start("--root=%s/root" % tmp)
kind, body = call(sock, T_ATTACH, 1, s("/"))
if kind != "ok" or len(body) != 8 + 100:
    die("attach /: %r" % ((kind, body),))
root_fid = struct.unpack("<Q", body[:8])[0]
st = status(p.pid)
if st.get("Seccomp") != "2":
    die("Seccomp is %r, want 2" % st.get("Seccomp"))
if st.get("NoNewPrivs") != "1":
    die("NoNewPrivs is %r" % st.get("NoNewPrivs"))
if int(st.get("CapEff", "0"), 16) != 0x1f:
    die("CapEff is %s, want 1f (chown dac_override dac_read_search fowner fsetid)" % st.get("CapEff"))
seen = sorted(os.listdir("/proc/%d/root" % p.pid))
if seen != ["dir", "marker"]:
    die("gofer's root shows %r, want only the container root" % seen)
if os.path.exists("/proc/%d/root/etc/passwd" % p.pid):
    die("host /etc visible to the gofer")
kind, val = call(sock, T_WALK, 2, struct.pack("<Q", root_fid) + s(".."))
if (kind, val) != ("err", EINVAL):
    die("walk .. gave %r" % ((kind, val),))
kind, val = call(sock, T_WALK, 3, struct.pack("<Q", root_fid) + s("marker"))
if kind != "ok":
    die("walk marker: %r" % (val,))
sock.send(b"\x01\x02")  # garbage: an error reply, and the gofer lives on
r = sock.recv(100)
if struct.unpack("<H", r[4:6])[0] != RERROR:
    die("garbage got a non-error reply")
kind, val = call(sock, T_WALK, 4, struct.pack("<Q", root_fid) + s("dir"))
if kind != "ok":
    die("gofer stopped answering after garbage: %r" % (val,))
sock.close()
if p.wait(timeout=10) != 0:
    die("gofer exit status %d after hang-up" % p.returncode)

# 2. a host-root sandbox (`visor do`): the root itself, read-only
sock, p = start("--root=/", "--root-readonly")
kind, body = call(sock, T_ATTACH, 1, s("/"))
if kind != "ok":
    die("attach / of the host root: %r" % (body,))
root_fid = struct.unpack("<Q", body[:8])[0]
kind, val = call(sock, T_WALK, 2, struct.pack("<Q", root_fid) + s("etc"))
if kind != "ok":
    die("walk etc in host root: %r" % (val,))
kind, val = call(sock, T_MKDIR, 3, struct.pack("<QIII", root_fid, 0o755, 0, 0) + s("visor-x"))
if (kind, val) != ("err", EROFS):
    die("mkdir on read-only root gave %r" % ((kind, val),))
sock.close()
if p.wait(timeout=10) != 0:
    die("host-root gofer exit status %d" % p.returncode)
# 3. bind mounts (a directory, a file): every directory fd the jailed gofer
#    holds is on a detached clone, so ".." from it, walked by the host
#    through /proc/PID/fd/N, never leaves that clone: not the host's /, not
#    the source's host parent.
sock, p = start("--root=%s/root" % tmp, "--mount=/mnt:%s/outside/src" % tmp,
                "--mount=/etc/f:%s/outside/fdir/file:ro" % tmp)
for tag, name in ((1, "/"), (2, "/mnt"), (3, "/etc/f")):
    kind, body = call(sock, T_ATTACH, tag, s(name))
    if kind != "ok":
        die("attach %s: %r" % (name, body))
host_root = os.stat("/")
outside = os.stat(tmp + "/outside")
checked = 0
for n in os.listdir("/proc/%d/fd" % p.pid):
    path = "/proc/%d/fd/%s" % (p.pid, n)
    try:
        if not os.path.isdir(path):
            continue
        up = os.stat(path + "/.." * 12)
    except OSError:
        continue
    checked += 1
    for what, st in (("the host's /", host_root), ("the sources' host parent", outside)):
        if (up.st_dev, up.st_ino) == (st.st_dev, st.st_ino):
            die("fd %s (%s): .. reaches %s" % (n, os.readlink(path), what))
if checked < 3:
    die("only %d directory fds held by the gofer, want the root and two mount clones" % checked)
print("held fds: %d directories, none climbs out" % checked)
sock.close()
if p.wait(timeout=10) != 0:
    die("bind-mount gofer exit status %d" % p.returncode)
print("ok")
EOF
[ -e /visor-x ] && fail "read-only root was written"
exit 0
