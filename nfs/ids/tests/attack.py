#!/usr/bin/env python3
"""A server that counts what each client port delivered, and clients that
send their data in separate segments, for the IDS end-to-end test.

  attack.py serve ADDR TCPPORT UDPPORT
      Prints a JSON line per TCP read ({"proto": "tcp", "sport": P, "total":
      bytes so far on that connection}) and per datagram ({"proto": "udp",
      "sport": P, "bytes": N}); answers each TCP read with the running total.
  attack.py tcp ADDR PORT SPORT GOFILE PART... [go PART...]
      Connects from SPORT with TCP_NODELAY and sends each PART (Python
      escapes allowed: \\x07) only after the server reported every byte
      before it: each PART leaves in its own segments. At "go" it waits for
      GOFILE to exist, then sends the remaining parts 100 ms apart.
  attack.py udp ADDR PORT SPORT GOFILE PART... [go PART...]
      The same with one datagram per PART.
"""
import codecs
import json
import os
import socket
import sys
import threading
import time


def log(**fields):
    print(json.dumps(fields), flush=True)


def serve_tcp(conn, peer):
    total = 0
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            total += len(data)
            log(proto="tcp", sport=peer[1], total=total)
            conn.sendall(b"%d\n" % total)


def serve(addr, tcp_port, udp_port):
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((addr, int(tcp_port)))
    lst.listen(64)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, int(udp_port)))

    def udp_loop():
        while True:
            data, peer = udp.recvfrom(65536)
            log(proto="udp", sport=peer[1], bytes=len(data))

    threading.Thread(target=udp_loop, daemon=True).start()
    while True:
        conn, peer = lst.accept()
        threading.Thread(target=serve_tcp, args=(conn, peer), daemon=True).start()


def wait_file(path, limit=60):
    end = time.time() + limit
    while not os.path.exists(path):
        if time.time() > end:
            sys.exit("no go after %d s" % limit)
        time.sleep(0.05)


def split(parts):
    parts = [codecs.decode(p, "unicode_escape").encode("latin-1") if p != "go" else None
             for p in parts]
    at = parts.index(None) if None in parts else len(parts)
    return parts[:at], parts[at + 1:]


def tcp(addr, port, sport, gofile, *parts):
    before, after = split(parts)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind(("0.0.0.0", int(sport)))
    s.settimeout(30)
    s.connect((addr, int(port)))
    f = s.makefile("rb")
    sent = 0
    for part in before:
        while sent and int(f.readline()) < sent:  # the server has every byte before this part
            pass
        s.sendall(part)
        sent += len(part)
    if after:
        wait_file(gofile)
        for part in after:
            s.sendall(part)
            time.sleep(0.1)
    log(sent=sent + sum(map(len, after)))
    s.close()


def udp(addr, port, sport, gofile, *parts):
    before, after = split(parts)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(sport)))
    for part in before:
        s.sendto(part, (addr, int(port)))
        time.sleep(0.1)
    if after:
        wait_file(gofile)
        for part in after:
            s.sendto(part, (addr, int(port)))
            time.sleep(0.1)
    log(sent=len(before) + len(after))


if __name__ == "__main__":
    {"serve": serve, "tcp": tcp, "udp": udp}[sys.argv[1]](*sys.argv[2:])
