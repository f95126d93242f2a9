#!/usr/bin/env python3
"""Seed corpus for fuzz_elf_loader: small hand-made ELF64 x86_64 images
(static ET_EXEC, ET_DYN with PT_PHDR, bss and PT_INTERP naming an ET_DYN
interpreter).  Run from the repository root."""
import os
import struct

PT_LOAD, PT_INTERP, PT_PHDR, PT_GNU_STACK = 1, 3, 6, 0x6474e551

def ehdr(etype, entry, phnum):
    ident = b'\x7fELF' + bytes([2, 1, 1, 0]) + bytes(8)
    return ident + struct.pack('<HHIQQQIHHHHHH', etype, 62, 1, entry, 64, 0, 0, 64, 56, phnum, 64, 0, 0)

def phdr(ptype, flags, off, vaddr, filesz, memsz, align=0x1000):
    return struct.pack('<IIQQQQQQ', ptype, flags, off, vaddr, vaddr, filesz, memsz, align)

def image(etype, base, segs, interp=None, code=b'\x0f\x05' * 8):
    """segs: (flags, memsz extra) for each PT_LOAD after the first."""
    phs = []
    nph = 1 + len(segs) + (1 if interp else 0) + 2
    hdr_len = 64 + 56 * nph
    interp_off = hdr_len
    body = (interp + b'\0') if interp else b''
    code_off = interp_off + len(body)
    total = code_off + len(code)
    phs.append(phdr(PT_PHDR, 4, 64, base + 64, 56 * nph, 56 * nph, 8))
    if interp:
        phs.append(phdr(PT_INTERP, 4, interp_off, base + interp_off, len(body), len(body), 1))
    phs.append(phdr(PT_LOAD, 5, 0, base, total, total))
    for i, (flags, extra) in enumerate(segs):
        va = base + 0x1000 * (i + 2) + (total % 0x1000)
        phs.append(phdr(PT_LOAD, flags, total % 0x1000, va, 16, 16 + extra))
    phs.append(phdr(PT_GNU_STACK, 6, 0, 0, 0, 0, 16))
    return ehdr(etype, base + code_off, nph) + b''.join(phs) + body + code

def seed(exe, interp=b''):
    return struct.pack('<H', len(exe)) + exe + interp

d = 'sentry/loader/fuzz/corpus/fuzz_elf_loader'
os.makedirs(d, exist_ok=True)
ld = image(3, 0, [(6, 0x3000)])
seeds = {
    'static_exec': seed(image(2, 0x400000, [(6, 0x2000)])),
    'static_pie': seed(image(3, 0, [(6, 0)])),
    'dynamic': seed(image(3, 0, [(6, 0x100)], interp=b'/lib64/ld-linux-x86-64.so.2'), ld),
    'dynamic_exec': seed(image(2, 0x400000, [], interp=b'/ld.so'), ld),
    'bad_interp': seed(image(2, 0x400000, [], interp=b'/ld.so'), b'#!/bin/sh\n'),
    'script': seed(b'#!/bin/sh\necho hi\n'),
}
for name, b in seeds.items():
    open(f'{d}/{name}', 'wb').write(b)
