#!/usr/bin/env python3
"""Traffic and checks for nsh_ovs.sh.

  nsh_ovs.py flows N SEED                 N UDP and N TCP 5-tuples, one frame each (hex lines)
  nsh_ovs.py send IFACE FLOWS [INDEX...]  send those frames (all, or the listed ones) paced
  nsh_ovs.py count PCAP                   how many frames a capture holds
  nsh_ovs.py check FLOWS A.pcap C.pcap SPI_OUT E2D_MAC SW_MAC
      A.pcap: what e2d sent to the switch (Ethernet + NSH + inner frame);
      C.pcap: what the switch output after its decap() of those frames.
      Checks every NSH header field by field, that the flow ID e2d put in the TLV equals the
      multipath value OVS computed (carried to e2d in the inner eth_src's low 16 bits), that
      every flow was seen, and that the switch's decapsulated frames are e2d's inner frames
      byte for byte. Prints a summary; exit 1 on any failure. With --missing it prints the
      indexes of flows not in A.pcap instead.
"""
import random
import socket
import struct
import sys
import time

SRC_MAC = bytes.fromhex("02e200000101")
DST_MAC = bytes.fromhex("02e2000000fe")


def csum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(proto, sip, dip, sport, dport):
    l4 = (struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x02, 512, 0, 0) if proto == 6
          else struct.pack("!HHHH", sport, dport, 8 + 10, 0) + b"e2-nsh-ovs")
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0,
                     socket.inet_aton(sip), socket.inet_aton(dip))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f = DST_MAC + SRC_MAC + b"\x08\x00" + ip + l4
    return f + bytes(max(0, 60 - len(f)))


def five_tuple(f):
    """(proto, src, dst, sport, dport) of an inner frame."""
    return (f[23], f[26:30], f[30:34], f[34:36], f[36:38])


def cmd_flows(n, seed):
    r = random.Random(seed)
    seen = set()
    while len(seen) < 2 * n:
        proto = 17 if len(seen) < n else 6
        t = (proto, "10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(1, 255)),
             "172.%d.%d.%d" % (r.randrange(16, 32), r.randrange(256), r.randrange(1, 255)),
             r.randrange(1024, 65536), r.choice([53, 80, 443, r.randrange(1, 65536)]))
        if t not in seen:
            seen.add(t)
            print(frame(*t).hex())


def load(path):
    return [bytes.fromhex(line.strip()) for line in open(path) if line.strip()]


def cmd_send(iface, flows, which):
    frames = load(flows)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for k, i in enumerate(which if which else range(len(frames))):
        s.send(frames[i])
        if k % 20 == 19:
            time.sleep(0.01)  # about 2000 frames a second: no queue on the way overflows


def pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


def parse_nsh(f, spi_out, e2d_mac, sw_mac):
    """Check an e2d NSH frame field by field; (flow ID, inner frame)."""
    expect(f[0:6] == sw_mac and f[6:12] == e2d_mac, "outer MACs %s" % f[:12].hex())
    expect(f[12:14] == b"\x89\x4f", "ethertype %s" % f[12:14].hex())
    base, path = struct.unpack("!II", f[14:22])
    expect(base >> 30 == 0, "version %d" % (base >> 30))
    expect(not base & (1 << 29), "O bit set")
    expect((base >> 22) & 0x3F == 63, "TTL %d" % ((base >> 22) & 0x3F))
    expect((base >> 8) & 0xF == 2, "MD type %d" % ((base >> 8) & 0xF))
    expect(base & 0xFF == 3, "next protocol %d" % (base & 0xFF))
    expect(path >> 8 == spi_out and path & 0xFF == 255, "SPI/SI %06x/%d" % (path >> 8, path & 0xFF))
    hlen = ((base >> 16) & 0x3F) * 4
    expect(hlen == 16, "length %d bytes: want base + one TLV (the flow ID)" % hlen)
    cls, typ, ln, val = struct.unpack("!HBBI", f[22:30])
    expect((cls, typ, ln) == (0xFFF6, 0x10, 4), "TLV %04x/%02x/%d" % (cls, typ, ln))
    return val, f[14 + hlen:]


def cmd_check(flows, a_path, c_path, spi_out, e2d_mac, sw_mac, missing_only):
    frames = load(flows)
    index = {five_tuple(f): i for i, f in enumerate(frames)}
    got = {}
    mismatches = 0
    for f in pcap(a_path):
        fid, inner = parse_nsh(f, spi_out, e2d_mac, sw_mac)
        i = index.get(five_tuple(inner))
        expect(i is not None, "an inner frame that was never sent: %s" % inner.hex())
        ovs = struct.unpack("!H", inner[10:12])[0]  # the switch wrote reg0 into eth_src[0..15]
        mismatches += fid != ovs
        if fid != ovs and mismatches <= 5:
            print("MISMATCH flow %d: e2d flow ID %#06x, OVS multipath %#06x" % (i, fid, ovs))
        got.setdefault(i, set()).add(inner)
    absent = [i for i in range(len(frames)) if i not in got]
    if missing_only:
        print(" ".join(map(str, absent)))
        return
    inner_frames = sorted(x for s in got.values() for x in s)
    decapped = pcap(c_path)
    expect(mismatches == 0, "%d flows whose flow IDs disagree" % mismatches)
    expect(not absent, "%d flows never seen, e.g. %s" % (len(absent), absent[:5]))
    expect(sorted(set(decapped)) == inner_frames,
           "the switch's decapsulated frames (%d) are not e2d's inner frames (%d)"
           % (len(set(decapped)), len(inner_frames)))
    print("checked %d flows: %d NSH frames from e2d, every flow ID equal to OVS's, %d frames "
          "decapsulated by OVS intact" % (len(frames), sum(1 for _ in pcap(a_path)), len(decapped)))


def main():
    cmd = sys.argv[1]
    if cmd == "flows":
        cmd_flows(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "count":
        print(len(pcap(sys.argv[2])))
    elif cmd == "send":
        cmd_send(sys.argv[2], sys.argv[3], [int(x) for x in sys.argv[4:]])
    elif cmd == "check":
        args = [a for a in sys.argv[2:] if a != "--missing"]
        try:
            cmd_check(args[0], args[1], args[2], int(args[3], 0), bytes.fromhex(args[4].replace(":", "")),
                      bytes.fromhex(args[5].replace(":", "")), "--missing" in sys.argv)
        except Fail as e:
            print("FAIL: %s" % e)
            sys.exit(1)


if __name__ == "__main__":
    main()
