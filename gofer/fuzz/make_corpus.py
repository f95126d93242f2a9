#!/usr/bin/env python3
"""Seed corpus for fuzz_gofer_server and fuzz_gofer_client: well-formed
sessions and replies.  Run from the repository root; writes
gofer/fuzz/corpus/fuzz_gofer_server/ and
sentry/fs/fuzz/corpus/fuzz_gofer_client/."""
import os
import struct

def s(x):
    x = x.encode()
    return struct.pack('<H', len(x)) + x

def fid(slot, gen=1):
    return struct.pack('<Q', gen << 32 | slot)

def u32(v): return struct.pack('<I', v)
def u64(v): return struct.pack('<Q', v)

T = dict(attach=1, walk=2, getattr=3, setattr=4, open=5, create=6, mkdir=7, mknod=8,
         symlink=9, link=10, unlink=11, rename=12, readdir=13, readlink=14, statfs=15,
         clunk=16, getxattr=17, setxattr=18, listxattr=19, removexattr=20, statx=21)

def msg(t, body, tag):
    m = struct.pack('<IHHI', 12 + len(body), T[t], 0, tag) + body
    return bytes([3]) + struct.pack('<H', len(m)) + m

def session(flags, reqs):
    out = bytes([flags])
    for i, (t, b) in enumerate(reqs):
        out += msg(t, b, i + 1)
    return out

root = fid(0)
sessions = {
    'walk_open': [('attach', s('/')), ('walk', root + s('f')), ('getattr', fid(1)),
                  ('open', fid(1) + u32(os.O_RDWR)), ('readdir', root + u64(0) + u32(64)),
                  ('clunk', fid(1))],
    'symlinks': [('attach', s('/')), ('walk', root + s('rel')), ('readlink', fid(1)),
                 ('open', fid(1) + u32(0)), ('walk', root + s('abs')), ('open', fid(2) + u32(0)),
                 ('walk', root + s('up')), ('walk', root + s('p')), ('open', fid(4) + u32(0))],
    'create': [('attach', s('/')), ('create', root + u32(os.O_RDWR) + u32(0o644) + u32(0) + u32(0) + s('n')),
               ('mkdir', root + u32(0o755) + u32(0) + u32(0) + s('m')),
               ('mknod', root + u32(0o10644) + u32(0) + u32(0) + u64(0) + s('q')),
               ('symlink', root + u32(0) + u32(0) + s('s') + s('/etc/passwd')),
               ('link', fid(1) + root + s('n2')),
               ('rename', root + root + u32(0) + s('n2') + s('n3')),
               ('unlink', root + u32(0) + s('n3')),
               ('setattr', fid(1) + u32(0x3f) + u32(0o600) + u32(1) + u32(1) + u64(10) + u64(0) + u64(0) + u32(0) + u32(0)),
               ('statfs', root)],
    'xattr': [('attach', s('/')), ('walk', root + s('f')),
              ('setxattr', fid(1) + u32(0) + s('user.a') + u32(3) + b'abc'),
              ('getxattr', fid(1) + s('user.a') + u32(0)),
              ('getxattr', fid(1) + s('user.a') + u32(16)),
              ('listxattr', fid(1) + u32(64)),
              ('removexattr', fid(1) + s('user.a')),
              ('statx', fid(1) + u32(0xfff))],
    'mounts': [('attach', s('/data')), ('walk', root + s('g')), ('open', fid(1) + u32(os.O_WRONLY | os.O_TRUNC)),
               ('attach', s('/file')), ('open', fid(2) + u32(0)), ('attach', s('/nope'))],
}
d = 'gofer/fuzz/corpus/fuzz_gofer_server'
os.makedirs(d, exist_ok=True)
for name, reqs in sessions.items():
    open(f'{d}/{name}', 'wb').write(session(0, reqs))
open(f'{d}/readonly', 'wb').write(session(3, sessions['create']))

# Client: { u8 call, u8 ctl, le16 n, n bytes }* (see sentry/fs/fuzz/fuzz_gofer_client.c).
STAT = u64(1) + u64(2) + u64(1) + u64(6) + u64(8) + u64(0) + u32(0o100644) + u32(0) + u32(0) + u32(4096) + u64(1) + u64(2) + u64(3) + u32(0) + u32(0) + u32(0)
assert len(STAT) == 100
DSTAT = STAT[:48] + u32(0o40755) + STAT[52:]
def rep(call, body, ctl=0):
    return bytes([call, ctl]) + struct.pack('<H', len(body)) + body
def err(call, e):
    return rep(call, u32(e), 1)
d = 'sentry/fs/fuzz/corpus/fuzz_gofer_client'
os.makedirs(d, exist_ok=True)
ent = u64(5) + u64(1) + bytes([8]) + s('f') + u64(6) + u64(2) + bytes([4]) + s('d')
cl = {
    'attach_walk': rep(0, fid(0) + DSTAT) + rep(1, fid(1) + STAT) + rep(2, STAT) + rep(3, b'') + rep(4, b'', 2),
    'dir': rep(0, fid(0) + DSTAT) + rep(10, u32(2) + ent) + rep(11, s('/etc/passwd')) + rep(12, u64(0x01021994) + u64(4096) * 7),
    'create': rep(5, fid(3) + STAT, 2) + rep(6, DSTAT) + rep(7, STAT) + rep(8, STAT) + rep(9, b'') + rep(13, b'') + rep(14, b'') + rep(15, b''),
    'xattr': rep(16, u32(3) + b'abc') + rep(17, b'') + rep(18, u32(9) + b'user.a\0b\0') + rep(19, b'') + rep(20, u32(0x7ff) + u64(0) + u64(0) + u64(5) + u32(6) + u32(0) + u32(0)),
    'errors': err(0, 2) + err(1, 13) + err(4, 21) + err(10, 20) + err(16, 61),
}
for name, b in cl.items():
    open(f'{d}/{name}', 'wb').write(b)
