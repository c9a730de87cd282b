#!/usr/bin/env bash
# The NAT end to end, with real Linux hosts: a client in an "inside"
# namespace (10.12.30.2), a server in an "outside" one (198.51.100.10), e2d
# between them with an AF_PACKET port on a veth into each, and e2nf-nat as a
# bump in the wire: both ports -> VPort(nat, in); VPort(nat, out) ->
# HeaderMatch on the (rewritten) destination -> the right port. No ARP: the
# client's gateway is a static neighbour with the server's MAC, and the
# server reaches the public addresses through static neighbours with the
# client's MAC.
#   1. TCP: curl fetches a file from python's http.server, which logs the
#      NAT's public address as the client;
#   2. UDP: a request and its reply; the server saw the public address;
#   3. ping works (echo identifiers translated both ways);
#   4. UDP to a closed port: the server's port unreachable comes back
#      translated, the client's connected socket gets ECONNREFUSED;
#      and the client's own port unreachable, to a datagram the server sent
#      to its mapped endpoint, goes out translated: ECONNREFUSED there too;
#      a datagram from another outside address to that endpoint is filtered;
#   5. the NAT's mapping list shows those flows, and its counters add up:
#      every packet it received is translated, passed or dropped by reason,
#      and as many left as were not dropped;
#   6. a reload with a bad line is refused (FILE:LINE) and traffic goes on;
#      a good one switches filtering, keeping the mappings.
# Usage: e2e.sh E2D E2CTL E2NF-NAT      (root, hugepages)
set -euo pipefail
E2D=$1 E2CTL=$2 NAT=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../tests/integration/lib.sh"
require_root_hugepages
for tool in curl ethtool; do
  command -v $tool >/dev/null || { echo "SKIP: $tool missing (scripts/deps.sh)"; exit 77; }
done

id=$(($$ % 100000)) dir=$(mktemp -d)
nsi=nati$id nso=nato$id vi=nvi$id vo=nvo$id sock=$dir/e2d.sock ctl=$dir/nat.ctl
cleanup() {
  "$E2CTL" dp -s "$sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  ip link del "$vi" 2>/dev/null || true
  ip link del "$vo" 2>/dev/null || true
  ip netns del "$nsi" 2>/dev/null || true
  ip netns del "$nso" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  "$E2CTL" nf -s "$ctl" stats >&2 || true
  "$E2CTL" nf -s "$ctl" mappings >&2 || true
  cat "$dir/nat.err" "$dir/e2d.log" >&2 || true
  exit 1
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
in_ns() { ip netns exec "$1" "${@:2}"; }

# A connected UDP socket in namespace $1, bound to $2 port $3 (0: any), sends
# to $4 (IP:PORT); prints what came back: answered, refused (ECONNREFUSED:
# an ICMP port unreachable reached the socket) or timeout.
udp_probe() {
  in_ns "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind((sys.argv[1], int(sys.argv[2])))
ip, port = sys.argv[3].split(":")
s.connect((ip, int(port)))
s.send(b"anyone?")
try:
    s.recv(2048)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
' "$2" "$3" "$4"
}

# A host namespace $1 with interface "eth0" ($3) whose peer $2 stays here for e2d.
host() {
  local ns=$1 peer=$2 addr=$3
  ip netns add "$ns"
  ip link add "$peer" type veth peer name eth0 netns "$ns"
  sysctl -qw "net.ipv6.conf.$peer.disable_ipv6=1"
  ethtool -K "$peer" gro off >/dev/null 2>&1 || true
  ip link set "$peer" up
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  # full checksums and no super-frames on the wire: e2d sees what a NIC would
  in_ns "$ns" ethtool -K eth0 tx off tso off gso off >/dev/null
  in_ns "$ns" ip link set lo up
  in_ns "$ns" ip addr add "$addr" dev eth0
  in_ns "$ns" ip link set eth0 up
}
host "$nsi" "$vi" 10.12.30.2/24
host "$nso" "$vo" 198.51.100.10/24
mac_i=$(in_ns "$nsi" cat /sys/class/net/eth0/address)
mac_o=$(in_ns "$nso" cat /sys/class/net/eth0/address)
in_ns "$nsi" ip neigh add 10.12.30.1 lladdr "$mac_o" dev eth0 nud permanent
in_ns "$nsi" ip route add default via 10.12.30.1
in_ns "$nso" ip route add 131.114.88.92/30 dev eth0
for a in 92 93 94 95; do in_ns "$nso" ip neigh add 131.114.88.$a lladdr "$mac_i" dev eth0 nud permanent; done

cat >"$dir/nat.conf" <<'CONF'
# the E2 paper's Fig. 14 networks
inside 10.12.30.0/24
public 131.114.88.92/30 ports 1024-65535
filtering address-dependent
timeout udp 300s
CONF
cat >"$dir/e2d.conf" <<CONF
nf nat(ports=[in, out], ring_size=1024);
port pi(vdev="net_af_packet_i$id,iface=$vi,framecnt=2048");
port po(vdev="net_af_packet_o$id,iface=$vo,framecnt=2048");
to_nat :: VPort(nf=nat, port=in);
PortInc(port=pi) -> to_nat;
PortInc(port=po) -> to_nat;
VPort(nf=nat, port=out) -> steer :: HeaderMatch(rules=[{dst_ip="10.12.30.0/24", gate=0}], default_gate=1);
steer[0] -> PortOut(port=pi);
steer[1] -> PortOut(port=po);
CONF
"$E2D" -n "nat$id" -m 256 -s "$sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$sock" || { cat "$dir/e2d.log"; exit 1; }
"$NAT" -n nat -s "$sock" -c "$dir/nat.conf" --ctl "$ctl" >"$dir/nat.out" 2>"$dir/nat.err" &
for ((i = 0; i < 100; i++)); do "$E2CTL" nf -s "$ctl" stats >/dev/null 2>&1 && break; sleep 0.1; done
"$E2CTL" nf -s "$ctl" stats >/dev/null || fail "the NAT did not start"

echo "== 1. TCP: curl -> http.server"
mkdir "$dir/www"
echo "hello through the NAT" >"$dir/www/hello.txt"
in_ns "$nso" python3 -m http.server 8080 --bind 198.51.100.10 --directory "$dir/www" \
  >"$dir/http.log" 2>&1 &
for ((i = 0; i < 100; i++)); do in_ns "$nso" ss -ltn | grep -q ':8080 ' && break; sleep 0.1; done
got=$(in_ns "$nsi" curl -sS --max-time 20 http://198.51.100.10:8080/hello.txt) || fail "curl failed"
[ "$got" = "hello through the NAT" ] || fail "curl got '$got'"
for ((i = 0; i < 50; i++)); do grep -q 'GET /hello.txt' "$dir/http.log" && break; sleep 0.1; done
seen=$(sed -n 's/^\([0-9.]*\) .*GET \/hello.txt.*/\1/p' "$dir/http.log" | head -1)
pub=$("$E2CTL" nf -s "$ctl" mappings proto=tcp | json "d['mappings'][0]['public'].split(':')[0]")
case "$seen" in 131.114.88.9[2-5]) ;; *) fail "the server saw the client as '$seen'" ;; esac
[ "$seen" = "$pub" ] || fail "the server saw $seen, the mapping says $pub"
echo "  curl got the file; the server saw the client as $seen (the mapping's public address)"

echo "== 2. UDP requests and responses, two inside hosts on one port"
in_ns "$nsi" ip addr add 10.12.30.3/24 dev eth0
in_ns "$nso" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.10", 9999))
for _ in range(2):
    data, peer = s.recvfrom(2048)
    s.sendto(data + b" from %s:%d" % (peer[0].encode(), peer[1]), peer)
' &
echo_srv=$!
for ((i = 0; i < 100; i++)); do in_ns "$nso" ss -lun | grep -q ':9999 ' && break; sleep 0.1; done
udp_client() {
  in_ns "$nsi" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind((sys.argv[1], 40001))
s.sendto(b"ping", ("198.51.100.10", 9999))
print(s.recv(2048).decode())
' "$1"
}
reply2=$(udp_client 10.12.30.2) || fail "no UDP reply for 10.12.30.2"
reply3=$(udp_client 10.12.30.3) || fail "no UDP reply for 10.12.30.3"
wait $echo_srv || true
for host in 2 3; do
  ext=$("$E2CTL" nf -s "$ctl" mappings proto=udp port=40001 "inside=\"10.12.30.$host\"" | json "d['mappings'][0]['public']")
  r=reply$host
  [ "${!r}" = "ping from $ext" ] || fail "UDP reply '${!r}' for 10.12.30.$host (want 'ping from $ext')"
  echo "  10.12.30.$host:40001 got '${!r}'"
  eval "ext$host=$ext"
done
[ "${reply2#ping from }" != "${reply3#ping from }" ] || fail "two hosts share one public endpoint"

echo "== 3. ping"
in_ns "$nsi" ping -c 3 -i 0.2 -W 5 198.51.100.10 >"$dir/ping.log" || { cat "$dir/ping.log"; fail "ping failed"; }
echo "  $(grep 'packets transmitted' "$dir/ping.log")"

echo "== 4. UDP to a closed port: a translated port unreachable"
err=$(udp_probe "$nsi" 10.12.30.2 0 198.51.100.10:9)
[ "$err" = refused ] || fail "the client's connected UDP socket got '$err', not ECONNREFUSED"
echo "  the client's socket got ECONNREFUSED"
# and the other way: the server writes to the client's (still mapped) UDP
# endpoint, whose socket is gone; the client's port unreachable goes out
# translated and the server's connected socket is refused in turn
err=$(udp_probe "$nso" 198.51.100.10 9999 "$ext2")
[ "$err" = refused ] || fail "the server's connected UDP socket got '$err', not ECONNREFUSED"
echo "  ... and from inside: the server's socket got ECONNREFUSED"
# address-dependent filtering: another outside address may not use the mapping
in_ns "$nso" ip addr add 198.51.100.11/24 dev eth0
in_ns "$nso" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.11", 9999))
s.sendto(b"let me in", (sys.argv[1].split(":")[0], int(sys.argv[1].split(":")[1])))
' "$ext2"
for ((i = 0; i < 50; i++)); do
  [ "$("$E2CTL" nf -s "$ctl" stats | json "d['nf']['drops']['filtered']")" = 1 ] && break
  sleep 0.1
done
[ "$("$E2CTL" nf -s "$ctl" stats | json "d['nf']['drops']['filtered']")" = 1 ] ||
  fail "a datagram from 198.51.100.11 to $ext2 was not filtered"
echo "  a datagram from 198.51.100.11 to $ext2 was filtered (address-dependent)"

echo "== 5. mappings and counters"
"$E2CTL" nf -s "$ctl" mappings 'inside="10.12.30.2"' >"$dir/maps.json"
r=$(json "sorted(set(m['proto'] for m in d['mappings']))" <"$dir/maps.json")
[ "$r" = "['icmp', 'tcp', 'udp']" ] || fail "mappings list protocols $r"
r=$(json "sorted(m['inside'] for m in d['mappings'] if m['proto'] == 'udp' and m['inside'].endswith(':40001'))" <"$dir/maps.json")
[ "$r" = "['10.12.30.2:40001']" ] || fail "no mapping for the UDP client: $r"
r=$(json "[s['state'] for m in d['mappings'] if m['proto'] == 'tcp' for s in m['sessions']]" <"$dir/maps.json")
case "$r" in *closing* | *established* | *fin_*) ;; *) fail "TCP session states $r" ;; esac
json "'\\n'.join('  %-4s %-20s -> %-20s %d session(s)' % (m['proto'], m['inside'], m['public'], m['session_count']) for m in d['mappings'])" <"$dir/maps.json"
sleep 0.5 # let the last packets through before reading counters
"$E2CTL" nf -s "$ctl" stats >"$dir/stats.json"
json "d['nf']['translated'], d['nf']['icmp_errors_translated'], d['nf']['drops']" <"$dir/stats.json"
r=$(json "d['nf']['translated']['out']['icmp'], d['nf']['translated']['in']['icmp']" <"$dir/stats.json")
[ "$r" = "3 3" ] || fail "ICMP echo translated (out, in) = $r, want 3 3"
r=$(json "d['nf']['translated']['out']['udp'], d['nf']['translated']['in']['udp']" <"$dir/stats.json")
[ "$r" = "3 3" ] || fail "UDP translated (out, in) = $r, want 3 3 (2 requests + closed port; 2 replies + to a closed socket)"
r=$(json "d['nf']['icmp_errors_translated']['in'], d['nf']['icmp_errors_translated']['out']" <"$dir/stats.json")
[ "$r" = "1 1" ] || fail "ICMP errors translated (in, out) = $r, want 1 1"
r=$(json "d['nf']['translated']['out']['tcp'] >= 5 and d['nf']['translated']['in']['tcp'] >= 5" <"$dir/stats.json")
[ "$r" = True ] || fail "TCP barely translated"
r=$(json "d['nf']['mappings']['created']['udp'], d['nf']['mappings']['created']['icmp'], d['nf']['sessions']['created']['tcp']" <"$dir/stats.json")
[ "$r" = "3 1 1" ] || fail "mappings created (udp, icmp), TCP sessions = $r"
python3 - "$dir/stats.json" <<'PY' || fail "the NAT's counters do not add up"
import json, sys
d = json.load(open(sys.argv[1]))
nat, ports = d['nf'], d['ports']
tr = sum(nat['translated'][w][p] for w in ('out', 'in') for p in ('tcp', 'udp', 'icmp'))
errs = nat['icmp_errors_translated']['in'] + nat['icmp_errors_translated']['out']
drops = sum(nat['drops'].values())
rx, tx = ports['in']['rx'], ports['out']['tx']
accounted = tr - nat['hairpinned'] + errs + nat['passed'] + drops
print(f"  the NF received {rx}: {tr} translations, {errs} ICMP errors, {nat['passed']} passed, "
      f"{drops} dropped; sent {tx}")
assert rx == accounted, (rx, accounted)
assert tx == rx - drops, (tx, rx, drops)
assert sum(nat['status'].values()) == rx
PY

echo "== 6. reloads: a bad file is refused and the NAT keeps working; a good one applies"
cp "$dir/nat.conf" "$dir/nat.good"
echo "timeout udp 30s" >>"$dir/nat.conf"
out=$("$E2CTL" nf -s "$ctl" reload 2>&1) && fail "a UDP timeout of 30s was accepted"
grep -q "nat.conf:6: timeout udp 30s: RFC 4787 REQ-5" <<<"$out" || fail "unclear refusal: $out"
in_ns "$nsi" ping -c 1 -W 5 198.51.100.10 >/dev/null || fail "no ping after a refused reload"
sed 's/^filtering address-dependent/filtering endpoint-independent/' "$dir/nat.good" >"$dir/nat.conf"
"$E2CTL" nf -s "$ctl" reload >/dev/null || fail "a good reload was refused"
r=$(udp_probe "$nso" 198.51.100.11 9999 "$ext2") # the filtered sender now gets through
[ "$r" = refused ] || fail "after reloading endpoint-independent filtering, 198.51.100.11 got '$r'"
r=$("$E2CTL" nf -s "$ctl" stats | json "d['nf']['flushes'], d['nf']['mappings']['active'] >= 4")
[ "$r" = "0 True" ] || fail "the reload lost state: (flushes, mappings kept) = $r"
echo "  '$out'"
echo "  ping still works; endpoint-independent filtering applies to the mappings already there"
echo "PASS"
