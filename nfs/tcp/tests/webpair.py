#!/usr/bin/env python3
"""A web server and client for the DPI end-to-end test, exact about bytes.

  webpair.py serve ADDR PORT
      HTTP/1.1 with keep-alive and pipelining: GET /obj/N?size=S answers S
      bytes of content made of shared blocks (repeated content for RE) with
      signatures in it (for SIG), chunked when N is odd; POST reads its body
      and answers a short text.
  webpair.py fetch ADDR PORT CONNS REQUESTS SIZE PATTERNS
      CONNS connections at once, each sending REQUESTS requests pipelined
      in one write (one of them a POST with signatures in its body), reading
      every response whole. Prints one JSON object: bytes sent and received,
      the requests (method, path, status, body bytes), and how often each
      pattern of the PATTERNS file (NAME CONTENT [nocase], |hex| allowed)
      occurs in each direction's stream of each connection, summed.
"""
import http.server
import json
import random
import re
import socket
import socketserver
import sys
import threading

BLOCK = 4096
SIGS = [b"/bin/sh", b"ShellCode", b"\r\n\r\n"]


def blocks():
    rnd = random.Random(42)
    return [rnd.randbytes(BLOCK) for _ in range(8)]


def body(n, size, shared):
    """Deterministic content: shared blocks and unique bytes, a signature every 10 kB."""
    rnd = random.Random(n)
    out = bytearray()
    while len(out) < size:
        if rnd.random() < 0.6:
            out += shared[rnd.randrange(len(shared))]
        else:
            out += rnd.randbytes(1024)
        if len(out) // 10000 != (len(out) - BLOCK) // 10000:
            out += SIGS[rnd.randrange(2)]
    return bytes(out[:size])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    shared = blocks()

    def log_message(self, *args):
        pass

    def do_GET(self):
        m = re.match(r"/obj/(\d+)\?size=(\d+)$", self.path)
        if not m:
            self.send_error(404)
            return
        n, size = int(m.group(1)), int(m.group(2))
        data = body(n, size, self.shared)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if n % 2:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for at in range(0, len(data), 7000):
                piece = data[at:at + 7000]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        reply = b"stored %d bytes\n" % length
        self.send_response(201)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 overflows: SYN cookies, then resets


def serve(addr, port):
    Server((addr, int(port)), Handler).serve_forever()


def read_response(f):
    """One response from file @f: (status, body bytes)."""
    status = int(f.readline().split()[1])
    length, chunked = None, False
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        if name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, len(f.read(length or 0))
    total = 0
    while True:
        size = int(f.readline().split(b";")[0], 16)
        if size == 0:
            while f.readline() not in (b"\r\n", b"\n", b""):
                pass
            return status, total
        total += len(f.read(size))
        f.read(2)


class Recorder:
    """A socket's file that keeps every byte read."""

    def __init__(self, sock):
        self.f = sock.makefile("rb")
        self.seen = bytearray()

    def readline(self):
        line = self.f.readline()
        self.seen += line
        return line

    def read(self, n):
        data = self.f.read(n)
        self.seen += data
        return data


def parse_patterns(path):
    pats = []
    for line in open(path):
        words = re.findall(r'"[^"]*"|\S+', line.split("#")[0])
        if not words:
            continue
        text = words[1].strip('"')
        raw = re.sub(r"\|([0-9a-fA-F ]*)\|", lambda m: bytes.fromhex(m.group(1)).decode("latin-1"), text)
        pats.append((words[0], raw.encode("latin-1"), len(words) > 2))
    return pats


def count(stream, pat, nocase):
    if nocase:
        stream, pat = stream.lower(), pat.lower()
    n, at = 0, stream.find(pat)
    while at >= 0:
        n += 1
        at = stream.find(pat, at + 1)
    return n


def one_connection(addr, port, c, requests, size, result, lock):
    s = socket.create_connection((addr, int(port)), timeout=120)
    wire = bytearray()
    asked = []
    for r in range(requests):
        n = c * 100 + r
        if r == requests // 2:
            post = b"data /bin/sh and SHELLCODE and /bin/sh " * 40
            wire += (b"POST /upload/%d HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: %d\r\n\r\n"
                     % (n, addr.encode(), port.encode(), len(post))) + post
            asked.append(("POST", "/upload/%d" % n))
            continue
        path = "/obj/%d?size=%d" % (n, size + n % 7 * 1000)
        wire += b"GET %s HTTP/1.1\r\nHost: %s:%s\r\n\r\n" % (path.encode(), addr.encode(), port.encode())
        asked.append(("GET", path))
    s.sendall(wire)
    rec = Recorder(s)
    done = []
    for method, path in asked:
        status, nbytes = read_response(rec)
        done.append({"method": method, "path": path, "status": status, "bytes": nbytes})
    s.close()
    with lock:
        result["sent"] += len(wire)
        result["received"] += len(rec.seen)
        result["requests"] += done
        result["streams"].append((bytes(wire), bytes(rec.seen)))


def fetch(addr, port, conns, requests, size, patterns):
    result = {"sent": 0, "received": 0, "requests": [], "streams": []}
    lock = threading.Lock()
    threads = [threading.Thread(target=one_connection,
                                args=(addr, port, c, int(requests), int(size), result, lock))
               for c in range(int(conns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    matches = {}
    for name, pat, nocase in parse_patterns(patterns):
        matches[name] = sum(count(a, pat, nocase) + count(b, pat, nocase) for a, b in result["streams"])
    del result["streams"]
    result["matches"] = matches
    result["connections"] = int(conns)
    print(json.dumps(result))
    return 0 if len(result["requests"]) == int(conns) * int(requests) else 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(*sys.argv[2:4])
    else:
        sys.exit(fetch(*sys.argv[2:8]))
