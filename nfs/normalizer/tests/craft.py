#!/usr/bin/env python3
"""Packets for the normalizer's end-to-end test, and what must come out.

  craft.py IN.pcap EXPECT.json    write the input capture and the expectation:
                                  {"out": [hex frames, in order], "counters": {...}}
  craft.py --check OUT.pcap EXPECT.json STATS.json
                                  compare what came out and the NF's counters

The expected frames are built here independently of the normalizer: a TTL
raised by rebuilding the packet with the new TTL, options stripped by
building it without them, checksums by RFC 1071 sums written here. The
normalizer runs with "ttl-min 32" and defaults otherwise.
"""
import json
import struct
import sys

ETH = bytes.fromhex("020000000002" "020000000001") + b"\x08\x00"
SRC, DST = bytes([10, 0, 0, 1]), bytes([10, 1, 0, 1])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(proto, payload, ttl=64, ident=1, frag=0, options=b"", flags_extra=0):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), ident,
                      frag | flags_extra, ttl, proto, 0, SRC, DST) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return ETH + hdr + payload


def tcp(flags, data=b"", sport=40000, dport=80):
    h = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 65535, 0, 0) + data
    pseudo = SRC + DST + struct.pack("!BBH", 0, 6, len(h))
    return h[:16] + struct.pack("!H", csum(pseudo + h)) + h[18:]


def udp(data, sport=5353, dport=53):
    h = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = SRC + DST + struct.pack("!BBH", 0, 17, len(h))
    return h[:6] + struct.pack("!H", csum(pseudo + h) or 0xFFFF) + h[8:]


FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32
MF = 0x2000


def cases():
    """(input frame, expected output frame or None, counter it adds to)."""
    c = []
    for i, fl in enumerate([SYN, SYN | ACK, ACK, PSH | ACK, FIN | ACK, RST]):
        f = ipv4(6, tcp(fl, b"data%d" % i), ident=100 + i)
        c.append((f, f, "passed"))
    for fl, why in [(0, "tcp_null"), (FIN | PSH | URG, "tcp_xmas"), (SYN | FIN, "tcp_syn_fin"),
                    (SYN | RST, "tcp_syn_rst"), (FIN, "tcp_no_ack"), (PSH, "tcp_no_ack")]:
        c.append((ipv4(6, tcp(fl)), None, why))
    seg = tcp(ACK, b"low ttl")
    c.append((ipv4(6, seg, ttl=3, ident=7), ipv4(6, seg, ttl=32, ident=7), "ttl_raised"))
    rr = bytes([7, 11, 4]) + bytes(8) + b"\x01"  # record route (11 bytes) and a NOP
    dg = udp(b"with options")
    c.append((ipv4(17, dg, ident=8, options=rr), ipv4(17, dg, ident=8), "ip_options_stripped"))
    c.append((ipv4(17, dg, ident=9, flags_extra=0x8000 | 0x4000), ipv4(17, dg, ident=9, frag=0x4000),
              "reserved_cleared"))
    # a UDP datagram in three fragments (and an exact duplicate), then bad ones
    body = udp(bytes(range(256)) * 4)  # 1032 bytes
    parts = [(0, body[:512], MF), (512, body[512:1024], MF), (1024, body[1024:], 0)]
    for off, data, mf in parts[:2]:
        f = ipv4(17, data, ident=50, frag=mf | off // 8)
        c.append((f, f, "passed"))
    f = ipv4(17, parts[0][1], ident=50, frag=MF)
    c.append((f, f, "frag_overlap_same"))
    evil = bytearray(body[512:1024])
    evil[10] ^= 0xFF
    c.append((ipv4(17, bytes(evil[:64]), ident=50, frag=MF | 512 // 8), None,
              "frag_overlap_differing"))
    off, data, mf = parts[2]
    f = ipv4(17, data, ident=50, frag=off // 8)
    c.append((f, f, "frag_complete"))
    c.append((ipv4(17, bytes(16), ident=51, frag=8191), None, "frag_too_big"))
    c.append((ipv4(17, bytes(100), ident=52, frag=MF), None, "frag_bad_len"))
    # malformed: cut short; a TCP data offset below 5 words
    c.append((ipv4(6, tcp(ACK))[:30], None, "malformed.short_ip"))
    bad = bytearray(ipv4(6, tcp(ACK)))
    bad[14 + 20 + 12] = 0x20
    c.append((bytes(bad), None, "malformed.bad_tcp_off"))
    arp = bytes.fromhex("ffffffffffff020000000001" "0806") + bytes(28)
    c.append((arp, arp, "not_ipv4"))
    return c


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)) + fr)


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), hex(magic)
    out, off = [], 24
    while off < len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def expectation():
    cs = cases()
    counters = {}
    for _, out, why in cs:
        counters[why] = counters.get(why, 0) + 1
    passed = sum(1 for _, out, _ in cs if out is not None)
    counters["passed"] = passed
    counters["dropped"] = len(cs) - passed
    # frag_complete and frag_overlap_same packets pass too; ttl/options/reserved ones as well
    return {"in": len(cs), "out": [o.hex() for _, o, _ in cs if o is not None],
            "counters": counters}


def check(out_pcap, expect_json, stats_json):
    want = json.load(open(expect_json))
    got = [f.hex() for f in read_pcap(out_pcap)]
    ok = True
    if got != want["out"]:
        ok = False
        print(f"FAIL: {len(got)} frames came out, {len(want['out'])} expected; the first difference:")
        for i in range(max(len(got), len(want["out"]))):
            g = got[i] if i < len(got) else None
            w = want["out"][i] if i < len(want["out"]) else None
            if g != w:
                print(f"  frame {i}: got {g}\n  want     {w}")
                break
    nf = json.load(open(stats_json))["nf"]
    for name, n in want["counters"].items():
        have = nf["malformed"][name.split(".")[1]] if name.startswith("malformed.") else nf[name]
        if have != n:
            ok = False
            print(f"FAIL: counter {name} is {have}, expected {n}")
    for name, v in nf.items():  # every other counter stays 0
        if isinstance(v, int) and name not in want["counters"] and v:
            ok = False
            print(f"FAIL: counter {name} is {v}, expected 0")
    print(f"  {len(got)} of {want['in']} frames came out as expected; counters match" if ok else "")
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        sys.exit(0 if check(*sys.argv[2:5]) else 1)
    write_pcap(sys.argv[1], [f for f, _, _ in cases()])
    json.dump(expectation(), open(sys.argv[2], "w"))
