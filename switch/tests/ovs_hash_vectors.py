#!/usr/bin/env python3
"""Ask a running Open vSwitch for the hashes its multipath action computes.

Builds a few hundred frames (IPv4 and IPv6 with TCP, UDP, SCTP, ICMP and other
protocols, options, extension headers, fragments, VLAN tags, short and
malformed headers, ARP, LLC, other ethertypes), traces each through a bridge
whose rule runs multipath for every field set twice (modulo_n over 65536 links
gives the low 16 bits of the hash, hash_threshold the high 16 bits) and prints
a header naming the field sets and bases, then one line per frame:

    # FIELDS/BASIS FIELDS/BASIS ...
    HASH HASH ... FRAME_HEX

Usage: ovs_hash_vectors.py APPCTL_TARGET OFCTL_TARGET BRIDGE [SEED]
(ovs_hash_vectors.sh starts the switch and calls this.)
"""
import random
import re
import struct
import subprocess
import sys

FIELDS = ["eth_src", "symmetric_l4", "symmetric_l3l4", "symmetric_l3l4+udp", "nw_src",
          "nw_dst", "symmetric_l3"]
BASES = [0, 0x1234]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(r):
    return bytes([r.randrange(256) & 0xFE | 0x02] + [r.randrange(256) for _ in range(5)])


def eth(r, ethertype, vlans=()):
    hdr = mac(r) + mac(r)
    for tpid, tci in vlans:
        hdr += struct.pack("!HH", tpid, tci)
    return hdr + struct.pack("!H", ethertype)


def l4(r, proto, short=False):
    sport, dport = r.randrange(65536), r.randrange(65536)
    if proto == 6:
        h = struct.pack("!HHIIBBHHH", sport, dport, r.randrange(1 << 32), 0, 0x50, 0x18, 512, 0, 0)
    elif proto == 17:
        h = struct.pack("!HHHH", sport, dport, 8, 0)
    elif proto == 132:
        h = struct.pack("!HHII", sport, dport, r.randrange(1 << 32), 0)
    elif proto in (1, 58):
        h = struct.pack("!BBHI", r.randrange(256), r.randrange(4), 0, 0)
    else:
        h = bytes(r.randrange(256) for _ in range(8))
    return h[:r.randrange(1, 8 if proto == 17 else len(h))] if short else h


def ipv4(r, proto, payload, opts=0, frag=0, tot_len=None, ihl=None):
    ihl = 5 + opts if ihl is None else ihl
    total = 20 + 4 * opts + len(payload) if tot_len is None else tot_len
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, r.randrange(65536), frag, 64, proto,
                      0, r.randbytes(4), r.randbytes(4))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + b"\x01" * 4 * opts + payload


def ipv6(r, nh, payload, plen=None):
    total = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", 0x60000000 | r.randrange(1 << 20), total, nh, 64,
                       r.randbytes(16), r.randbytes(16)) + payload


def ext(nh, length8=0):
    return struct.pack("!BB", nh, length8) + b"\x01\x04\0\0\0\0" + b"\0" * 8 * length8


def frag6(nh, offset, more):
    return struct.pack("!BBHI", nh, 0, offset << 3 | more, 0x1234)


def pad(frame, r, extra=0):
    frame = frame + bytes(extra)
    return frame + bytes(max(0, 60 - len(frame)))


def frames(r):
    out = []
    protos = [6, 17, 132, 1, 47, 2]
    for _ in range(60):
        p = r.choice(protos[:3])
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p) + r.randbytes(r.randrange(40))), r))
    for _ in range(10):
        p = r.choice(protos)
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p), opts=r.randrange(1, 4)), r))
    for p in (6, 17, 132):
        # first fragment (ports present), later fragment (no ports)
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p), frag=0x2000), r))
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p), frag=0x2000 | 185), r))
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p), frag=185), r))
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p), frag=0x4000), r))  # DF only
        # short L4 header, short IP payload
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p, short=True)), r))
        # IP total length beyond the frame, below the header, IHL too small
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p), tot_len=400), r))
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p), tot_len=16), r))
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p), ihl=4), r))
        # long Ethernet padding after the IP packet (300 and 1400 bytes)
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p)), r, 300))
        out.append(pad(eth(r, 0x0800) + ipv4(r, p, l4(r, p)), r, 1400))
        # VLAN tags: one 802.1Q, 802.1ad + 802.1Q, three tags (beyond OVS's two)
        out.append(pad(eth(r, 0x0800, [(0x8100, r.randrange(65536))]) + ipv4(r, p, l4(r, p)), r))
        out.append(pad(eth(r, 0x0800, [(0x88A8, r.randrange(65536)), (0x8100, r.randrange(65536))])
                       + ipv4(r, p, l4(r, p)), r))
        out.append(pad(eth(r, 0x0800, [(0x8100, 5), (0x8100, 6), (0x8100, 7)])
                       + ipv4(r, p, l4(r, p)), r))
        out.append(pad(eth(r, 0x0800, [(0x8100, 0)]) + ipv4(r, p, l4(r, p)), r))
    for _ in range(30):
        p = r.choice([6, 17, 132, 58, 59])
        out.append(pad(eth(r, 0x86DD) + ipv6(r, p, l4(r, p)), r))
    for p in (6, 17):
        out.append(pad(eth(r, 0x86DD) + ipv6(r, 0, ext(60, 1) + ext(p) + l4(r, p)), r))
        out.append(pad(eth(r, 0x86DD) + ipv6(r, 43, ext(p, 2) + l4(r, p)), r))
        out.append(pad(eth(r, 0x86DD) + ipv6(r, 51, struct.pack("!BBH", p, 4, 0)
                                            + b"\0" * 20 + l4(r, p)), r))  # AH
        out.append(pad(eth(r, 0x86DD) + ipv6(r, 44, frag6(p, 0, 1) + l4(r, p)), r))
        out.append(pad(eth(r, 0x86DD) + ipv6(r, 44, frag6(p, 100, 0) + l4(r, p)), r))
        out.append(pad(eth(r, 0x86DD) + ipv6(r, 44, frag6(p, 0, 0) + l4(r, p)), r))
        out.append(pad(eth(r, 0x86DD) + ipv6(r, 0, ext(p, 30) + l4(r, p)), r))  # ext beyond end
        out.append(pad(eth(r, 0x86DD) + ipv6(r, p, l4(r, p), plen=900), r))
        out.append(pad(eth(r, 0x86DD) + ipv6(r, p, l4(r, p, short=True)), r))
        out.append(pad(eth(r, 0x86DD) + ipv6(r, p, l4(r, p)), r, 400))
        out.append(pad(eth(r, 0x86DD, [(0x8100, 77)]) + ipv6(r, p, l4(r, p)), r))
    for _ in range(4):  # ARP, RARP, other ethertypes, LLC/SNAP, 802.3 length, truncated
        arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(r) + r.randbytes(4) + mac(r) \
            + r.randbytes(4)
        out.append(pad(eth(r, 0x0806) + arp, r))
        out.append(pad(eth(r, 0x8035) + arp, r))
        out.append(pad(eth(r, 0x0806, [(0x8100, 9)]) + arp, r))
        out.append(pad(eth(r, r.choice([0x88CC, 0x8847, 0x9000, 0x0600])) + r.randbytes(40), r))
        out.append(pad(eth(r, 46) + bytes([0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00])
                       + ipv4(r, 17, l4(r, 17)), r))
        out.append(pad(eth(r, 46) + bytes([0x42, 0x42, 0x03]) + r.randbytes(40), r))
        out.append(eth(r, 0x0800) + ipv4(r, 6, b"")[:10])
    return out


def trace(appctl, bridge, frame):
    res = subprocess.run(["ovs-appctl", "-t", appctl, "ofproto/trace", bridge, "in_port=1",
                          frame.hex()], check=True, capture_output=True, text=True).stdout
    final = next(line for line in res.splitlines() if line.startswith("Final flow:"))
    regs = dict((int(n), int(v, 16)) for n, v in re.findall(r"\breg(\d+)=0x([0-9a-f]+)", final))
    return [regs.get(i, 0) for i in range(len(FIELDS) * len(BASES))]


def main():
    appctl, ofctl, bridge = sys.argv[1:4]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 8300
    actions = []
    for b, basis in enumerate(BASES):
        for f, name in enumerate(FIELDS):
            reg = b * len(FIELDS) + f
            actions.append("multipath(%s,%d,modulo_n,65536,0,reg%d[0..15])" % (name, basis, reg))
            actions.append("multipath(%s,%d,hash_threshold,65536,0,reg%d[16..31])"
                           % (name, basis, reg))
    subprocess.run(["ovs-ofctl", "-O", "OpenFlow15", "add-flow", ofctl,
                    "priority=100,in_port=1,actions=" + ",".join(actions)], check=True)
    r = random.Random(seed)
    print("# " + " ".join("%s/%d" % (name, basis) for basis in BASES for name in FIELDS))
    for frame in frames(r):
        print(" ".join("%08x" % h for h in trace(appctl, bridge, frame)), frame.hex())


if __name__ == "__main__":
    main()
