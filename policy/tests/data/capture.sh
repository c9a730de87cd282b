#!/usr/bin/env bash
# Capture real traffic between two network namespaces into captured.pcap, for
# the libpcap differential test: ping and ping6 (echo, neighbour discovery),
# IPv4 and IPv6 fragments (large pings), DNS over UDP, HTTP over TCP (a
# handshake, a GET, the close), a refused TCP connection (RST), and frames
# with 802.1Q and QinQ tags. This kernel has no VLAN devices (no 8021q), so
# the tagged frames are written to the veth with an AF_PACKET socket and
# captured on the wire like the rest. Needs root, iproute2, tcpdump, python3, curl.
# Usage (as root): capture.sh [OUT.pcap]   (default: captured.pcap next to it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/captured.pcap}
a=e2cap_a$$ b=e2cap_b$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip link add va netns "$a" type veth peer name vb netns "$b"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" addr add 10.12.30.1/24 dev va
ip -n "$b" addr add 10.12.30.2/24 dev vb
ip -n "$a" addr add 2001:db8::1/64 dev va nodad
ip -n "$b" addr add 2001:db8::2/64 dev vb nodad
ip -n "$a" link set va up
ip -n "$b" link set vb up

# Servers in b: HTTP on 80, a one-shot DNS-style UDP responder on 53.
ip netns exec "$b" python3 -m http.server 80 --bind 0.0.0.0 >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$b" python3 - <<'PY' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
s.settimeout(20)
for _ in range(4):
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        break
    # the question, flagged as a response with one A record 10.12.30.2
    s.sendto(q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00" + q[12:]
             + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x0c\x1e\x02", peer)
PY
pids+=($!)
sleep 1

ip netns exec "$a" tcpdump -i va -w "$out" -U -s 262144 >/dev/null 2>&1 &
cap=$!
pids+=($cap)
sleep 1

dns_query() { # $1 server
  ip netns exec "$a" python3 -c "
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2)
q=b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01'
s.sendto(q,(sys.argv[1],53))
try: s.recvfrom(512)
except socket.timeout: pass" "$1"
}

ip netns exec "$a" ping -c 2 -i 0.2 10.12.30.2 >/dev/null
ip netns exec "$a" ping -c 1 -s 3000 10.12.30.2 >/dev/null
ip netns exec "$a" ping -6 -c 2 -i 0.2 2001:db8::2 >/dev/null
ip netns exec "$a" ping -6 -c 1 -s 3000 2001:db8::2 >/dev/null
dns_query 10.12.30.2
ip netns exec "$a" curl -s -o /dev/null http://10.12.30.2/
ip netns exec "$a" curl -s -o /dev/null "http://[2001:db8::2]:81/" || true   # refused: RST
# Tagged frames: ICMP echo, a DNS query and a TCP SYN to port 80, under VLAN
# 100 (802.1Q), then under QinQ (outer 88a8 id 7, inner 8100 id 100).
ip netns exec "$a" python3 - <<'PY'
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("va", 0))
mac = open("/sys/class/net/va/address").read().strip()
src = bytes.fromhex(mac.replace(":", ""))
dst = b"\x02\x00\x00\x00\x00\x02"
def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
def ip4(proto, payload, sip="10.100.0.1", dip="10.100.0.2"):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, 0x4000, 64, proto, 0,
                    socket.inet_aton(sip), socket.inet_aton(dip))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
icmp = b"\x08\x00\x00\x00\x00\x01\x00\x01" + b"e2" * 16
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
dns = struct.pack("!HHHH", 40000, 53, 8 + 29, 0) + b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"
syn = struct.pack("!HHIIBBHHH", 40001, 80, 1, 0, 0x50, 0x02, 65535, 0, 0)
for tags in ([(0x8100, 100)], [(0x88a8, 7), (0x8100, 100)]):
    hdr = dst + src + b"".join(struct.pack("!HH", t, i) for t, i in tags)
    for proto, payload in ((1, icmp), (17, dns), (6, syn)):
        s.send(hdr + b"\x08\x00" + ip4(proto, payload))
PY
sleep 1
kill -INT "$cap"
wait "$cap" 2>/dev/null || true
echo "capture.sh: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets in $out"
