#!/usr/bin/env python3
"""Seed corpus for fuzz_sigreturn: frames as the Sentry's setup_frame
writes them, for each XSAVE layout of the target's table, with and without
an fpstate.  Run from the repository root."""
import os
import struct

LAYOUTS = [(512, 0), (832, 0x7), (2696, 0xe7), (11008, 0x602e7), (16384, 0x7), (576, 0x3),
           (1088, 0x207), (2440, 0x1f)]
FRAME, FPSTATE = 0x1000, 0x2000

def frame(fpstate, eflags=0x246):
    regs = [i * 0x1111 for i in range(17)] + [eflags]   # r8..rip, eflags
    sc = struct.pack('<18Q', *regs) + struct.pack('<4H', 0x33, 0, 0, 0x2b)
    sc += struct.pack('<4Q', 0, 0, 0, 0) + struct.pack('<Q', fpstate) + bytes(64)
    assert len(sc) == 256
    uc = struct.pack('<QQ', 6, 0) + struct.pack('<QiiQ', 0x7000, 2, 0, 8192) + sc + struct.pack('<Q', 1 << 9)
    return struct.pack('<Q', 0x401000) + uc + bytes(128)

def fpregs(size, features):
    fx = bytearray(512)
    struct.pack_into('<HH', fx, 0, 0x37f, 0)
    struct.pack_into('<I', fx, 24, 0x1f80)
    if not features:
        return bytes(fx)
    struct.pack_into('<IIQI', fx, 464, 0x46505853, size + 4, features, size)
    area = bytes(fx) + struct.pack('<Q', 3) + bytes(size - 520)
    return area + struct.pack('<I', 0x46505845)

d = 'sentry/kernel/fuzz/corpus/fuzz_sigreturn'
os.makedirs(d, exist_ok=True)
for i, (size, feat) in enumerate(LAYOUTS):
    if size + 4 > 0x10000 - FPSTATE:
        continue
    buf = bytearray(FPSTATE + size + 4)
    f = frame(FPSTATE)
    buf[FRAME:FRAME + len(f)] = f
    fp = fpregs(size, feat)
    buf[FPSTATE:FPSTATE + len(fp)] = fp
    open(f'{d}/layout{i}', 'wb').write(bytes([i | 8]) + struct.pack('<H', FRAME) + bytes(buf))
    nofp = bytearray(FRAME + len(f))
    nofp[FRAME:] = frame(0)
    open(f'{d}/layout{i}_nofp', 'wb').write(bytes([i]) + struct.pack('<H', FRAME) + bytes(nofp))
open(f'{d}/off_end', 'wb').write(bytes([16 | 1]) + struct.pack('<H', 100) + frame(0))
