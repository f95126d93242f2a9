#!/usr/bin/env python3
"""Write the seed corpus of fuzz_packets (netstack/fuzz/corpus/fuzz_packets/).

Each seed is a few records in fuzz_packets.c's format: u8 ctl (bit 0: lo,
bits 1-7: ms to wait first), u16 length (bit 15: an Ethernet frame for
eth1), the frame.  The seeds are valid
frames of every kind the stack parses, so the fuzzer starts deep in each
parser rather than at the version nibble.  Run it from the tree's root.
"""
import os
import socket
import struct

OUT = "netstack/fuzz/corpus/fuzz_packets"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(proto, src, dst, payload, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def pseudo4(src, dst, proto, n):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, n)


def ip6(nh, src, dst, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def pseudo6(src, dst, proto, n):
    return (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
            struct.pack("!IxxxB", n, proto))


def tcp(sport, dport, seq, ack, flags, opts=b"", data=b"", pseudo=None):
    while len(opts) % 4:
        opts += b"\x01"
    off = (20 + len(opts)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 65535, 0, 0) + opts
    seg = h + data
    c = csum(pseudo(len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(sport, dport, data, pseudo):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(pseudo(len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp(typ, code, rest, data, pseudo=None):
    m = struct.pack("!BBH", typ, code, 0) + rest + data
    c = csum((pseudo(len(m)) if pseudo else b"") + m)
    return m[:2] + struct.pack("!H", c) + m[4:]


def rec(frame, lo=False, wait_ms=0):
    return struct.pack("!BH", (wait_ms << 1) | int(lo), len(frame)) + frame


SYN_OPTS = (b"\x02\x04\x05\xb4" + b"\x04\x02" + b"\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00" +
            b"\x01\x03\x03\x07")

A, B = "10.0.0.2", "10.0.0.1"
A6, B6 = "fd00::2", "fd00::1"
p4 = lambda proto: (lambda n: pseudo4(A, B, proto, n))
p6 = lambda proto: (lambda n: pseudo6(A6, B6, proto, n))

seeds = {
    "syn": rec(ip4(6, A, B, tcp(1234, 80, 1000, 0, 0x02, SYN_OPTS, pseudo=p4(6)))),
    "syn_then_ack_data": (
        rec(ip4(6, A, B, tcp(1234, 80, 1000, 0, 0x02, SYN_OPTS, pseudo=p4(6)))) +
        rec(ip4(6, A, B, tcp(1234, 80, 1001, 1, 0x18, data=b"GET / HTTP/1.0\r\n\r\n",
                             pseudo=p4(6))), wait_ms=5) +
        rec(ip4(6, A, B, tcp(1234, 80, 1019, 1, 0x11, pseudo=p4(6))), wait_ms=5)),
    "rst_and_fin": (
        rec(ip4(6, A, B, tcp(1234, 5000, 1, 1, 0x04, pseudo=p4(6)))) +
        rec(ip4(6, A, B, tcp(5000, 40000, 7, 8, 0x12, SYN_OPTS, pseudo=p4(6))))),
    "udp": rec(ip4(17, A, B, udp(999, 53, b"\x12\x34\x01\x00\x00\x01", p4(17)))),
    "udp_closed": rec(ip4(17, A, B, udp(999, 9, b"x", p4(17)))),
    "echo": rec(ip4(1, A, B, icmp(8, 0, b"\x00\x07\x00\x01", b"payload"))),
    "echo_reply_to_ping": rec(ip4(1, A, B, icmp(0, 0, b"\x00\x07\x00\x01", b"pong"))),
    "unreach": rec(ip4(1, A, B, icmp(3, 3, b"\0\0\0\0",
                                     ip4(17, B, A, udp(53, 999, b"q", lambda n: pseudo4(B, A, 17, n)))))),
    "unreach_tcp": rec(ip4(1, A, B, icmp(3, 1, b"\0\0\0\0",
                                         ip4(6, B, A, tcp(40000, 5000, 1, 0, 0x02,
                                                          pseudo=lambda n: pseudo4(B, A, 6, n)))))),
    "v6_syn": rec(ip6(6, A6, B6, tcp(1234, 80, 5, 0, 0x02, SYN_OPTS, pseudo=p6(6)))),
    "v6_udp_hopopts": rec(ip6(0, A6, B6, bytes([17, 0, 1, 4, 0, 0, 0, 0]) +
                              udp(1, 54, b"six", p6(17)))),
    "v6_echo": rec(ip6(58, A6, B6, icmp(128, 0, b"\x00\x01\x00\x01", b"ping6", p6(58)))),
    "v6_unreach": rec(ip6(58, A6, B6, icmp(1, 4, b"\0\0\0\0",
                                          ip6(17, B6, A6, udp(54, 1, b"q", lambda n: pseudo6(B6, A6, 17, n))),
                                          p6(58)))),
    "lo_syn": rec(ip4(6, "127.0.0.1", "127.0.0.1",
                      tcp(1234, 80, 1, 0, 0x02, SYN_OPTS,
                          pseudo=lambda n: pseudo4("127.0.0.1", "127.0.0.1", 6, n))), lo=True),
    "fragment": rec(ip4(17, A, B, udp(1, 53, b"frag", p4(17)))[:6] + b"\x20\x00" +
                    ip4(17, A, B, udp(1, 53, b"frag", p4(17)))[8:]),
}

# Ethernet records (length bit 15) for eth1: 02:00:00:00:01:01, 10.1.0.1,
# fd01::1; the stack is resolving 10.1.0.2, 10.1.0.3 and fd01::3.
ME_MAC = bytes.fromhex("020000000101")
PEER_MAC = bytes.fromhex("020000000102")
E, E2, E3 = "10.1.0.1", "10.1.0.2", "10.1.0.3"
E6, E6P = "fd01::1", "fd01::3"


def eth(dst, typ, payload):
    return dst + PEER_MAC + struct.pack("!H", typ) + payload


def rec_eth(frame, wait_ms=0):
    return struct.pack("!BH", wait_ms << 1, 0x8000 | len(frame)) + frame


def arp(op, sip, tip, tha=b"\0" * 6):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, PEER_MAC, socket.inet_aton(sip),
                       tha, socket.inet_aton(tip))


def frag4(src, dst, ident, off, more, payload, proto=17):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                    (0x2000 if more else 0) | off // 8, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def nd(typ, src, dst, target, opt, flags=0):
    body = struct.pack("!B3x16s", flags, socket.inet_pton(socket.AF_INET6, target))
    if opt:
        body += struct.pack("!BB6s", opt, 1, PEER_MAC)
    m = icmp(typ, 0, b"", body, lambda n: pseudo6(src, dst, 58, n))
    h = struct.pack("!IHBB16s16s", 0x60000000, len(m), 58, 255,
                    socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst))
    return h + m


big = udp(4000, 53, bytes(range(256)) * 12, lambda n: pseudo4(E2, E, 17, n))
seeds.update({
    "eth_arp_request": rec_eth(eth(b"\xff" * 6, 0x0806, arp(1, E2, E))),
    "eth_arp_reply_then_data": (
        rec_eth(eth(ME_MAC, 0x0806, arp(2, E2, E, ME_MAC))) +
        rec_eth(eth(ME_MAC, 0x0806, arp(2, E3, E, ME_MAC)), wait_ms=2) +
        rec_eth(eth(ME_MAC, 0x0800, ip4(17, E2, E, udp(53, 53, b"answer",
                                                      lambda n: pseudo4(E2, E, 17, n)))))),
    "eth_fragments": (
        rec_eth(eth(ME_MAC, 0x0800, frag4(E2, E, 77, 1480, False, big[1480:]))) +
        rec_eth(eth(ME_MAC, 0x0800, frag4(E2, E, 77, 0, True, big[:1480])), wait_ms=3)),
    "eth_fragment_overlap": (
        rec_eth(eth(ME_MAC, 0x0800, frag4(E2, E, 78, 0, True, big[:1480]))) +
        rec_eth(eth(ME_MAC, 0x0800, frag4(E2, E, 78, 1472, False, big[1472:])))),
    "eth_ns": rec_eth(eth(bytes.fromhex("3333ff000001"), 0x86DD,
                          nd(135, "fd01::3", "ff02::1:ff00:1", E6, 1))),
    "eth_na_then_syn": (
        rec_eth(eth(ME_MAC, 0x86DD, nd(136, E6P, E6, E6P, 2, 0x60))) +
        rec_eth(eth(ME_MAC, 0x86DD, ip6(6, E6P, E6, tcp(5000, 40000, 9, 0, 0x12, SYN_OPTS,
                                                          pseudo=lambda n: pseudo6(E6P, E6, 6, n)))))),
    "eth_dad": rec_eth(eth(bytes.fromhex("3333ff000001"), 0x86DD,
                           nd(135, "::", "ff02::1:ff00:1", E6, 0))),
    "eth_frag_needed": rec_eth(eth(ME_MAC, 0x0800, ip4(1, "10.1.0.254", E, icmp(
        3, 4, b"\0\0\x04\xb0", ip4(17, E, E2, udp(53, 53, b"query", lambda n: pseudo4(E, E2, 17, n))))))),
})

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(seeds), OUT))
