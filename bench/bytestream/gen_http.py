#!/usr/bin/env python3
"""Write a pcap of web traffic for the bytestream benchmark (paper Fig. 7).

  gen_http.py OUT.pcap [--conns N] [--seed S]

N HTTP/1.1 connections (default 400) between clients 10.2.0.0/16 and web
servers 10.3.0.1-8 port 80, 32 at a time, their packets interleaved a burst
of up to 4 segments each: handshake, 1-4 requests (GET, ~350-byte headers;
one in ten a POST with a 2-6 kB body), each answered before the next is sent,
FINs both ways. Response bodies follow a web object size mix (lognormal,
median 6 kB, capped at 256 kB; a tenth of them chunked). The receiver of data
ACKs every second segment (delayed ACKs) and the last one; segments carry
1448 bytes at most. Bodies are HTML-like text cut from a shared corpus (so
redundancy elimination finds repeats across connections) with fresh words
mixed in, and now and then a string an IDS looks for. Everything is
deterministic for a seed; checksums are right.
"""
import argparse
import random
import struct

MSS = 1448
SIGNATURES = [b"/bin/sh -c", b"cmd.exe", b"<script>alert(", b"UNION SELECT", b"../../etc/passwd"]
WORDS = (b"the of and to in is for on that with as by this be are from at or an it was "
         b"page home news about contact search login user account price product cart "
         b"item review order shipping help policy privacy terms service video image").split()


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                      65535, 0, 0) + payload
    pseudo = struct.pack("!IIBBH", src, dst, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp


class Corpus:
    """Shared page pieces (repeated across connections) and fresh text."""

    def __init__(self, rnd):
        self.rnd = rnd
        self.pieces = [self.text(rnd.randrange(512, 4096)) for _ in range(64)]

    def text(self, n):
        out = bytearray(b"<div class=\"c\"><p>")
        while len(out) < n:
            out += self.rnd.choice(WORDS) + b" "
            if self.rnd.random() < 0.05:
                out += b"</p>\n<p>"
        return bytes(out[:n])

    def body(self, n):
        out = bytearray()
        while len(out) < n:
            out += self.rnd.choice(self.pieces) if self.rnd.random() < 0.5 else self.text(1024)
            if self.rnd.random() < 0.02:
                out += self.rnd.choice(SIGNATURES)
        return bytes(out[:n])


def body_size(rnd):
    return min(int(rnd.lognormvariate(8.7, 1.3)), 256 * 1024)


class Conn:
    """One connection's packets, in order, as bursts of segments."""

    def __init__(self, i, rnd, corpus):
        self.c = (10 << 24 | 2 << 16 | (i // 250) << 8 | (i % 250 + 1))
        self.s = 10 << 24 | 3 << 16 | (i % 8 + 1)
        self.cp, self.sp = 10000 + i % 50000, 80
        self.cseq, self.sseq = rnd.getrandbits(32), rnd.getrandbits(32)
        self.rnd, self.corpus = rnd, corpus
        self.bursts = []
        self.build()

    def pkt(self, up, flags, payload=b""):
        if up:
            f = frame(self.c, self.s, self.cp, self.sp, self.cseq, self.sseq, flags, payload)
            self.cseq += len(payload) + (1 if flags & 0x03 else 0)
        else:
            f = frame(self.s, self.c, self.sp, self.cp, self.sseq, self.cseq, flags, payload)
            self.sseq += len(payload) + (1 if flags & 0x03 else 0)
        return f

    def send(self, up, data):
        """data in segments, bursts of up to 4, the receiver ACKing every second and the last."""
        segs = [data[i:i + MSS] for i in range(0, len(data), MSS)]
        burst = []
        for k, seg in enumerate(segs):
            burst.append(self.pkt(up, 0x18 if k == len(segs) - 1 else 0x10, seg))
            if k % 2 == 1 or k == len(segs) - 1:
                burst.append(self.pkt(not up, 0x10))
            if len(burst) >= 4 or k == len(segs) - 1:
                self.bursts.append(burst)
                burst = []

    def build(self):
        self.bursts.append([self.pkt(True, 0x02)])
        self.bursts.append([self.pkt(False, 0x12)])
        self.bursts.append([self.pkt(True, 0x10)])
        for r in range(self.rnd.randrange(1, 5)):
            path = b"/%s/%d.html" % (self.rnd.choice(WORDS), self.rnd.randrange(100000))
            headers = (b"Host: www.example%d.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) "
                       b"Gecko/20100101 Firefox/115.0\r\nAccept: text/html,application/xhtml+xml"
                       b"\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: identity\r\n"
                       b"Cookie: session=%d\r\n" % (self.s & 7, self.rnd.getrandbits(48)))
            if self.rnd.random() < 0.1:
                post = self.corpus.body(self.rnd.randrange(2000, 6000))
                req = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (path, headers,
                                                                              len(post), post)
            else:
                req = b"GET %s HTTP/1.1\r\n%s\r\n" % (path, headers)
            self.send(True, req)
            body = self.corpus.body(body_size(self.rnd))
            head = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n"
            if self.rnd.random() < 0.1:
                chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 4000]), body[i:i + 4000])
                                  for i in range(0, len(body), 4000))
                resp = head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
            else:
                resp = head + b"Content-Length: %d\r\n\r\n" % len(body) + body
            self.send(False, resp)
        self.bursts.append([self.pkt(True, 0x11)])
        self.bursts.append([self.pkt(False, 0x11), self.pkt(True, 0x10)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--conns", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    corpus = Corpus(rnd)
    waiting = [Conn(i, rnd, corpus) for i in range(a.conns)]
    waiting.reverse()
    active, n, size = [], 0, 0
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        while waiting or active:
            while waiting and len(active) < 32:
                active.append(waiting.pop())
            c = active[rnd.randrange(len(active))]
            for p in c.bursts.pop(0):
                f.write(struct.pack("<IIII", n // 1000000, n % 1000000, len(p), len(p)) + p)
                n += 1
                size += len(p)
            if not c.bursts:
                active.remove(c)
    print("%d packets, %d bytes" % (n, size))


if __name__ == "__main__":
    main()
