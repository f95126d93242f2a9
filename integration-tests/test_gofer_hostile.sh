#!/usr/bin/env bash
# A compromised Sentry talking to a real, jailed Gofer (issue 13 point 3): a
# hostile client sends path traversal names ("..", "/", names with '/',
# overlong ones, a NUL inside), bad fids, huge sizes and malformed headers.
# Every reply must be an error carrying no fd, the Gofer must stay up and
# answer a good request afterwards, and nothing on the host may change:
# neither beside the container's root nor in it.  Each case prints its name
# and the errno it got.
set -u
fail() { echo "FAIL: $*"; exit 1; }
VISOR=${VISOR:-build/visor}
[ "$(id -u)" -eq 0 ] || { echo "skip: the jail needs root"; exit 77; }
command -v python3 >/dev/null || { echo "skip: needs python3"; exit 77; }

tmp=$(mktemp -d /tmp/visor-gofer-hostile-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/dir" "$tmp/outside" "$tmp/bindsrc/sub"
echo inside >"$tmp/root/file"
echo secret >"$tmp/outside/secret"
echo bound >"$tmp/bindsrc/b"
snapshot() { (cd "$tmp" && find . -printf '%p %y %s %m %u %g %T@\n' | sort | md5sum); }
before=$(snapshot)

python3 - "$VISOR" "$tmp" <<'EOF' || fail "hostile client (see above)"
import array, errno, os, socket, struct, subprocess, sys
visor, tmp = sys.argv[1], sys.argv[2]
HDR = 12
(T_ATTACH, T_WALK, T_GETATTR, T_SETATTR, T_OPEN, T_CREATE, T_MKDIR, T_MKNOD, T_SYMLINK,
 T_LINK, T_UNLINK, T_RENAME, T_READDIR, T_READLINK, T_STATFS, T_CLUNK, T_GETXATTR,
 T_SETXATTR, T_LISTXATTR, T_REMOVEXATTR, T_STATX) = range(1, 22)
REPLY, RERROR = 0x8000, 0xffff
bad = 0

def die(msg):
    print("FAIL:", msg)
    sys.exit(1)

def s(x):
    if isinstance(x, str):
        x = x.encode()
    return struct.pack("<H", len(x)) + x

def q(v): return struct.pack("<Q", v & 0xffffffffffffffff)
def w(v): return struct.pack("<I", v & 0xffffffff)

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
p = subprocess.Popen([visor, "gofer", "--sock-fd=%d" % b.fileno(), "--root=%s/root" % tmp,
                      "--mount=/mnt:%s/bindsrc" % tmp], pass_fds=(b.fileno(),))
b.close()
tag = 0

def raw(data):
    """Send data as one message; the reply (type, body) and the fds it carried."""
    a.send(data)
    msg, anc, flags, _ = a.recvmsg(70000, socket.CMSG_SPACE(16 * 4))
    fds = []
    for level, typ, d in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            arr = array.array("i")
            arr.frombytes(d[:len(d) - len(d) % 4])
            fds.extend(arr)
    for fd in fds:
        os.close(fd)
    if len(msg) < HDR:
        die("short reply %r" % msg)
    ln, rt, fl, rtag = struct.unpack("<IHHI", msg[:HDR])
    return rt, msg[HDR:], fds

def call(typ, body):
    global tag
    tag += 1
    return raw(struct.pack("<IHHI", HDR + len(body), typ, 0, tag) + body)

def good(typ, body, what):
    rt, rb, fds = call(typ, body)
    if rt != typ | REPLY:
        die("%s: not answered (%#x %r)" % (what, rt, rb[:4]))
    return rb

def hostile(what, typ=None, body=b"", data=None):
    global bad
    rt, rb, fds = raw(data) if data is not None else call(typ, body)
    if rt != RERROR or fds:
        print("ESCAPE  %s: reply type %#x, %d fd(s)" % (what, rt, len(fds)))
        bad = 1
        return
    e = struct.unpack("<I", rb[:4])[0]
    print("refused %-52s %s" % (what, errno.errorcode.get(e, e)))

root = struct.unpack("<Q", good(T_ATTACH, s("/"), "attach /")[:8])[0]
mnt = struct.unpack("<Q", good(T_ATTACH, s("/mnt"), "attach /mnt")[:8])[0]
f = struct.unpack("<Q", good(T_WALK, q(root) + s("file"), "walk file")[:8])[0]
d = struct.unpack("<Q", good(T_WALK, q(root) + s("dir"), "walk dir")[:8])[0]
long_name = "x" * 256
nasty = ["..", ".", "/", "", "a/b", "../outside", "/etc", "dir/..", long_name, "a\0b"]

# Attach points that are no mount.
for n in ["..", "/..", "/../outside", "/etc", "", "/mnt/..", "/mnt/../..", "/" + long_name]:
    hostile("attach %r" % n[:20], T_ATTACH, s(n))
# Walks, creations, removals and renames with names that are no one component.
for fid, where in ((root, "root"), (mnt, "bind mount root"), (d, "dir")):
    for n in nasty:
        hostile("walk %s %r" % (where, n[:12]), T_WALK, q(fid) + s(n))
for n in nasty:
    hostile("create %r" % n[:12], T_CREATE, q(root) + w(os.O_RDWR) + w(0o644) + w(0) + w(0) + s(n))
    hostile("mkdir %r" % n[:12], T_MKDIR, q(root) + w(0o755) + w(0) + w(0) + s(n))
    hostile("symlink %r" % n[:12], T_SYMLINK, q(root) + w(0) + w(0) + s(n) + s("/etc/passwd"))
    hostile("unlink %r" % n[:12], T_UNLINK, q(root) + w(0) + s(n))
    hostile("rename file to %r" % n[:12], T_RENAME, q(root) + q(root) + w(0) + s("file") + s(n))
    hostile("link file as %r" % n[:12], T_LINK, q(f) + q(root) + s(n))
hostile("rename '..' away", T_RENAME, q(d) + q(root) + w(0) + s("..") + s("stolen"))
hostile("symlink with an overlong target", T_SYMLINK,
        q(root) + w(0) + w(0) + s("l") + s("a/" * 2100))
hostile("mknod of a block device", T_MKNOD, q(root) + w(0o60644) + w(0) + w(0) + q(0x801) + s("sda"))
hostile("mknod of a char device", T_MKNOD, q(root) + w(0o20644) + w(0) + w(0) + q(0x103) + s("null"))
# Bad fids: never attached, a slot with the wrong generation, -1, a file as a directory.
for fid, what in ((0, "0"), (0xffffffffffffffff, "-1"), ((7 << 32) | 0, "wrong generation"),
                  ((1 << 32) | 4000, "unused slot")):
    hostile("walk from fid %s" % what, T_WALK, q(fid) + s("file"))
    hostile("open fid %s" % what, T_OPEN, q(fid) + w(os.O_RDONLY))
    hostile("clunk fid %s" % what, T_CLUNK, q(fid))
hostile("walk from a regular file", T_WALK, q(f) + s("x"))
hostile("readdir of a regular file", T_READDIR, q(f) + q(0) + w(100))
hostile("create in a regular file", T_CREATE, q(f) + w(os.O_RDWR) + w(0o644) + w(0) + w(0) + s("x"))
# Opens the Sentry must not get: directories (no fd to start a ".." from), odd flags.
hostile("open the root directory", T_OPEN, q(root) + w(os.O_RDONLY))
hostile("open the bind mount's root", T_OPEN, q(mnt) + w(os.O_RDONLY | os.O_DIRECTORY))
hostile("open with O_CREAT", T_OPEN, q(f) + w(os.O_RDWR | os.O_CREAT))
hostile("open with O_PATH", T_OPEN, q(f) + w(os.O_PATH))
hostile("open with O_ACCMODE", T_OPEN, q(f) + w(3))
# Huge sizes.
hostile("truncate to 2^63", T_SETATTR,
        q(f) + w(0x08) + w(0) + w(0) + w(0) + q(1 << 63) + q(0) + q(0) + w(0) + w(0))
hostile("truncate to 2^64-1", T_SETATTR,
        q(f) + w(0x08) + w(0) + w(0) + w(0) + q(-1) + q(0) + q(0) + w(0) + w(0))
hostile("setxattr, blob length 2^32-1", T_SETXATTR, q(f) + w(0) + s("user.x") + w(0xffffffff) + b"ab")
hostile("setxattr, 70000-byte value", T_SETXATTR, q(f) + w(0) + s("user.x") + w(70000) + b"a" * 1000)
hostile("setxattr trusted.*", T_SETXATTR, q(f) + w(0) + s("trusted.x") + w(1) + b"a")
hostile("name length past the body", T_WALK, q(root) + struct.pack("<H", 60000) + b"abc")
# Malformed headers and messages.
hostile("header length larger than the message", data=struct.pack("<IHHI", 5000, T_WALK, 0, 900) + q(root) + s("file"))
hostile("header length smaller than the header", data=struct.pack("<IHHI", 3, T_WALK, 0, 901) + q(root) + s("file"))
hostile("flags set in a request", data=struct.pack("<IHHI", HDR + 8, T_CLUNK, 1, 902) + q(f))
hostile("a reply type as a request", data=struct.pack("<IHHI", HDR + 8, T_CLUNK | REPLY, 0, 903) + q(f))
hostile("type 0", data=struct.pack("<IHHI", HDR, 0, 0, 904))
hostile("a message past the maximum", data=struct.pack("<IHHI", HDR + 69000, T_WALK, 0, 905) + b"\0" * 69000)
hostile("three bytes", data=b"\x01\x02\x03")

# Still up, still confined, still serving.
if p.poll() is not None:
    die("the gofer died (status %r)" % p.returncode)
good(T_WALK, q(root) + s("file"), "a walk after the hostile ones")
good(T_WALK, q(mnt) + s("b"), "a walk in the bind mount after the hostile ones")
a.close()
if p.wait(timeout=10) != 0:
    die("gofer exit status %d after hang-up" % p.returncode)
sys.exit(bad)
EOF
after=$(snapshot)
[ "$before" = "$after" ] || fail "the host tree changed under the hostile client"
[ "$(cat "$tmp/outside/secret")" = secret ] || fail "a host file outside the root changed"
echo "every hostile request refused, host untouched"
exit 0
