#!/usr/bin/env bash
# The stateful firewall end to end: real traffic through e2d and e2nf-fw.
#   1. e2d's Sources into the firewall, counted Sinks on its safe/unsafe
#      outputs: exact packet counts per rule (NEW flows, replies that are
#      ESTABLISHED, a DROP rule, the policy);
#   2. reloads under traffic lose nothing (NF and e2d drops stay 0, the
#      sinks add up); a rule file with an error is refused with FILE:LINE
#      and traffic flows on by the old rules;
#   3. a "block this flow" signal from another NF (e2nf-fw-block) turns
#      exactly that flow unsafe, both directions;
#   4. method metadata: an instance with one output "out" tags FW.safe 1/0,
#      which e2d's MetadataMatch sorts; a missing tag is refused at start;
#   5. Linux clients in two namespaces over AF_PACKET veths: an allowed TCP
#      connection works both ways, a denied port and unsolicited inbound
#      connections are blocked, ping out works and in does not, and a UDP
#      send to a closed port gets its ICMP error back (RELATED).
# Usage: e2e.sh E2D E2CTL E2NF-FW E2NF-FW-BLOCK      (root, hugepages)
set -euo pipefail
E2D=$1 E2CTL=$2 FW=$3 BLOCK=$4
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../tests/integration/lib.sh"
require_root_hugepages

dir=$(mktemp -d) tag=$(($$ % 100000))
sock=$dir/e2d.sock nsc=fwc$tag nss=fws$tag
cleanup() {
  "$E2CTL" dp -s "$sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$nsc" 2>/dev/null || true
  ip netns del "$nss" 2>/dev/null || true
  ip link del "fc$tag" 2>/dev/null || true
  ip link del "fs$tag" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  "$E2CTL" dp -s "$sock" nfs >&2 || true
  for c in "$dir"/*.ctl; do [ -S "$c" ] && "$E2CTL" nf -s "$c" stats >&2; done
  tail -5 "$dir"/*.err >&2 || true
  exit 1
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
sinkp() { stat "$sock" "$1" packets; }
fwq() { "$E2CTL" nf -s "$dir/$1.ctl" stats | json "$2"; } # CTL-NAME PYTHON-EXPR over d['nf']
# wait_for EXPR-COMMAND VALUE SECONDS: until the command prints VALUE
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [ "$(eval "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  fail "waited $3 s for '$1' to be $2; it is $(eval "$1")"
}
# Add traffic: a Source NAME into module TO, LIMIT packets at RATE, TEMPLATES.
traffic() {
  echo "$1 :: Source(limit=$3, rate=$4, templates=[$5]) -> $2;" >"$dir/$1.conf"
  "$E2CTL" dp -s "$sock" load "$dir/$1.conf" >/dev/null || fail "cannot load $1"
  wait_for "stat $sock $1 packets" "$3" 60
}
declare -A pids
start_fw() { # NAME RULES [ARGS]: start e2nf-fw as instance NAME, wait for its control socket
  local name=$1 rules=$2
  shift 2
  "$FW" -n "$name" -s "$sock" -c "$rules" --ctl "$dir/$name.ctl" "$@" >"$dir/$name.out" \
    2>"$dir/$name.err" &
  pids[$name]=$!
  for ((i = 0; i < 100; i++)); do [ -S "$dir/$name.ctl" ] && return 0; sleep 0.1; done
  cat "$dir/$name.err" >&2
  fail "$name did not start"
}

# ---- namespaces: client 10.77.0.1 and server 10.77.0.2 behind e2d ----
ip netns add "$nsc"
ip netns add "$nss"
for side in c s; do
  ns=fw$side$tag
  ip link add "f$side$tag" type veth peer name eth0 netns "$ns"
  sysctl -qw "net.ipv6.conf.f$side$tag.disable_ipv6=1"
  ip link set "f$side$tag" up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" ip link set eth0 up
  # AF_PACKET hands e2d frames as they are: no checksum left to the NIC
  ip netns exec "$ns" ethtool -K eth0 tx off rx off >/dev/null 2>&1 || true
done
ip netns exec "$nsc" ip addr add 10.77.0.1/24 dev eth0
ip netns exec "$nss" ip addr add 10.77.0.2/24 dev eth0

R='"10.1.0.0-10.1.0.99"' # 100 client addresses
cat >"$dir/e2d.conf" <<CONF
tag(name="FW.safe", slot=0);
nf fw(ports=[in, safe, unsafe], ring_size=16384);
nf fwm(ports=[in, out], ring_size=4096);
nf fwn(ports=[in, safe, unsafe], ring_size=4096);
nf ids(ports=[in]);
fwin :: VPort(nf=fw, port=in);
VPort(nf=fw, port=safe) -> safe :: Sink();
VPort(nf=fw, port=unsafe) -> unsafe :: Sink();
fwmin :: VPort(nf=fwm, port=in);
VPort(nf=fwm, port=out) -> mm :: MetadataMatch(rules=[{tag="FW.safe", value=1, gate=0},
    {tag="FW.safe", value=0, gate=1}], default_gate=2);
mm[0] -> msafe :: Sink(); mm[1] -> munsafe :: Sink(); mm[2] -> muntagged :: Sink();
port pc(vdev="net_af_packet_fc$tag,iface=fc$tag,framecnt=4096");
port ps(vdev="net_af_packet_fs$tag,iface=fs$tag,framecnt=4096");
nin :: VPort(nf=fwn, port=in);
PortInc(port=pc) -> nin; PortInc(port=ps) -> nin;
VPort(nf=fwn, port=safe) -> side :: HeaderMatch(rules=[{in_port=pc, gate=0}, {in_port=ps, gate=1}]);
side[0] -> PortOut(port=ps); side[1] -> PortOut(port=pc);
VPort(nf=fwn, port=unsafe) -> denied :: Sink();
CONF
"$E2D" -n "e2fw$tag" -m 256 -s "$sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$sock" || { cat "$dir/e2d.log"; exit 1; }

cat >"$dir/fw.rules" <<'RULES'
# e2e rules: replies, client UDP to 5000-5009, no UDP to 6000, web SYNs; the rest DROP
-P FORWARD DROP
-A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -p udp -s 10.1.0.0/16 --dport 5000:5009 -j ACCEPT
-A FORWARD -p udp --dport 6000 -j DROP
-A FORWARD -p tcp --dport 80 -m state --state NEW -j ACCEPT
RULES
cp "$dir/fw.rules" "$dir/good.rules"

echo "== 1. exact counts per rule"
start_fw fw "$dir/fw.rules" --acl-min-rules 1
[ "$(fwq fw "d['nf']['classifier']")" = acl ] || fail "the rules are not compiled with rte_acl"
traffic s1 fwin 3000 50k "{src_ip=$R, dst_ip=\"10.9.0.1\", src_port=1000, dst_port=\"5000-5009\", proto=udp}"
traffic s2 fwin 1000 50k "{src_ip=\"10.2.0.1\", dst_ip=\"10.9.0.1\", src_port=\"1-10\", dst_port=6000, proto=udp}"
traffic s3 fwin 500 50k "{src_ip=\"10.3.0.1-10.3.0.10\", dst_ip=\"10.9.0.2\", src_port=4000, dst_port=80, proto=tcp, tcp_flags=2}"
traffic s4 fwin 700 50k "{src_ip=\"10.3.0.1\", dst_ip=\"10.9.0.2\", src_port=4000, dst_port=22, proto=tcp, tcp_flags=2}"
# the replies of s1's 1000 flows, each once: ESTABLISHED
traffic s5 fwin 1000 50k "{src_ip=\"10.9.0.1\", dst_ip=$R, src_port=\"5000-5009\", dst_port=1000, proto=udp}"
wait_for "sinkp safe" 4500 20
wait_for "sinkp unsafe" 1700 20
counts=$(fwq fw "[r['packets'] for r in d['nf']['rules']] + [d['nf']['policy']['packets']]")
[ "$counts" = "[1000, 3000, 1000, 500, 700]" ] || fail "per-rule packets $counts"
bytes=$(fwq fw "d['nf']['rules'][1]['bytes']")
[ "$bytes" = $((3000 * 64)) ] || fail "rule 2 counted $bytes bytes"
r=$(fwq fw "d['nf']['states']['NEW'], d['nf']['states']['ESTABLISHED'], d['nf']['conns']['active']")
[ "$r" = "5200 1000 1010" ] || fail "(NEW, ESTABLISHED, connections) = $r"
echo "  safe 4500, unsafe 1700; per rule [ESTABLISHED, udp 5000-5009, udp 6000, tcp 80, policy] = $counts"

echo "== 2. reloads under traffic, and a bad rule file"
{ cat "$dir/good.rules"; echo "-A FORWARD -p tcp --dport 443 -j ACCEPT # reloaded"; } >"$dir/other.rules"
N=150000
echo "s6 :: Source(limit=$N, rate=50k, templates=[{src_ip=$R, dst_ip=\"10.9.0.1\", src_port=1000, dst_port=\"5000-5009\", proto=udp}]) -> fwin;" >"$dir/s6.conf"
safe0=$(sinkp safe) unsafe0=$(sinkp unsafe)
"$E2CTL" dp -s "$sock" load "$dir/s6.conf" >/dev/null
for ((i = 0; i < 100; i++)); do [ "$(stat "$sock" s6 packets)" -gt 1000 ] && break; sleep 0.05; done
for ((k = 0; k < 20; k++)); do
  if ((k % 2)); then cp "$dir/good.rules" "$dir/fw.rules"; else cp "$dir/other.rules" "$dir/fw.rules"; fi
  "$E2CTL" nf -s "$dir/fw.ctl" reload >/dev/null || fail "reload $k refused"
  sleep 0.05
done
kill -HUP "${pids[fw]}"
wait_for "stat $sock s6 packets" $N 30
wait_for "sinkp safe" $((safe0 + N)) 20
sleep 0.3
[ "$(sinkp unsafe)" = "$unsafe0" ] || fail "reloads made $(($(sinkp unsafe) - unsafe0)) packets unsafe"
r=$(fwq fw "d['reloads'], d['reload_failures'], d['ports']['in']['rx'], d['ports']['safe']['tx_full'], d['ports']['in']['dropped']")
[ "$r" = "21 0 $((6200 + N)) 0 0" ] || fail "(reloads, failures, rx, tx_full, dropped) = $r"
r=$("$E2CTL" dp -s "$sock" --json nfs | json "[(p['full_drops'], p['down_drops']) for n in d if n['name'] == 'fw' for p in n['ports']]")
[ "$r" = "[(0, 0), (0, 0), (0, 0)]" ] || fail "e2d dropped packets for fw: $r"
echo "  21 reloads (20 by e2ctl, 1 by SIGHUP) during $N packets: all $N safe, no drops"
printf -- '-P FORWARD ACCEPT\n-A FORWARD -p udp -j ACCEPT\n-A FORWARD -p udp --dport 6000 -j REJECT\n' >"$dir/fw.rules"
out=$("$E2CTL" nf -s "$dir/fw.ctl" reload 2>&1) && fail "a rule file with REJECT was accepted"
grep -q "fw.rules:3: target REJECT is not supported" <<<"$out" || fail "unclear refusal: $out"
safe0=$(sinkp safe) unsafe0=$(sinkp unsafe)
traffic s7 fwin 1000 50k "{src_ip=\"10.2.0.1\", dst_ip=\"10.9.0.1\", src_port=\"1-10\", dst_port=6000, proto=udp}"
wait_for "sinkp unsafe" $((unsafe0 + 1000)) 20
[ "$(sinkp safe)" = "$safe0" ] || fail "the refused rules were applied"
[ "$(fwq fw "d['reload_failures']")" = 1 ] || fail "the failed reload is not counted"
echo "  refused: $out"
echo "  the old rules run on: 1000 packets to udp 6000 still unsafe"

echo "== 3. block signal"
"$BLOCK" -n ids -s "$sock" -T fw 10.9.0.1 10.1.0.5 udp 5003 1000 60 || fail "the block signal was not sent"
wait_for "fwq fw \"d['nf']['blocks']['active']\"" 1 10
safe0=$(sinkp safe) unsafe0=$(sinkp unsafe)
traffic s9 fwin 300 50k "{src_ip=\"10.1.0.5\", dst_ip=\"10.9.0.1\", src_port=1000, dst_port=5003, proto=udp}, {src_ip=\"10.1.0.5\", dst_ip=\"10.9.0.1\", src_port=1000, dst_port=5004, proto=udp}, {src_ip=\"10.9.0.1\", dst_ip=\"10.1.0.5\", src_port=5003, dst_port=1000, proto=udp}"
wait_for "sinkp unsafe" $((unsafe0 + 200)) 20
wait_for "sinkp safe" $((safe0 + 100)) 20
[ "$(fwq fw "d['nf']['blocked']")" = 200 ] || fail "blocked $(fwq fw "d['nf']['blocked']") packets, not 200"
echo "  blocked flow: 200 packets (both directions) unsafe; its neighbour flow: 100 safe"
"$E2CTL" nf -s "$dir/fw.ctl" block 'src="10.1.0.6"' 'dst="10.9.0.1"' proto=udp sport=1000 dport=5003 >/dev/null ||
  fail "the block operation failed"
unsafe0=$(sinkp unsafe)
traffic s10 fwin 100 50k "{src_ip=\"10.1.0.6\", dst_ip=\"10.9.0.1\", src_port=1000, dst_port=5003, proto=udp}"
wait_for "sinkp unsafe" $((unsafe0 + 100)) 20
r=$(fwq fw "d['nf']['blocked'], d['nf']['blocks']['active'], d['nf']['blocks']['added']")
[ "$r" = "300 2 2" ] || fail "(blocked, blocks active, added) = $r"
echo "  the block operation: another 100 packets unsafe"

echo "== 4. method metadata"
out=$("$FW" -n fwm -s "$sock" -c "$dir/good.rules" --tag nosuch 2>&1) && fail "a missing tag was accepted"
grep -q "e2d defines no tag 'nosuch'" <<<"$out" || fail "unclear refusal: $out"
start_fw fwm "$dir/good.rules"
[ "$(fwq fwm "d['nf']['method']")" = metadata ] || fail "fwm does not use method metadata"
traffic m1 fwmin 1000 50k "{src_ip=$R, dst_ip=\"10.9.0.1\", src_port=1000, dst_port=5000, proto=udp}, {src_ip=\"10.2.0.1\", dst_ip=\"10.9.0.1\", src_port=1, dst_port=6000, proto=udp}"
wait_for "sinkp msafe" 500 20
wait_for "sinkp munsafe" 500 20
[ "$(sinkp muntagged)" = 0 ] || fail "untagged packets left fwm"
echo "  FW.safe=1: 500, FW.safe=0: 500, untagged: 0"

echo "== 5. Linux clients through the firewall"
cat >"$dir/nfn.rules" <<'RULES'
-P FORWARD DROP
-A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -p tcp -s 10.77.0.1 -d 10.77.0.2 --sport 1024:65535 --dport 8080 -m state --state NEW -j ACCEPT
-A FORWARD -p udp -s 10.77.0.1 --dport 9999 -m state --state NEW -j ACCEPT
-A FORWARD -p icmp -s 10.77.0.1 -m state --state NEW -j ACCEPT
RULES
start_fw fwn "$dir/nfn.rules"
cat >"$dir/serve.py" <<'PY'
import socket, sys, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(8)
    while True:
        c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()
for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
threading.Event().wait()
PY
cat >"$dir/client.py" <<'PY'
import socket, sys
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if kind == "tcp":
        s = socket.create_connection((host, port), timeout=3); s.sendall(b"hello"); print(s.recv(100).decode())
    else:  # a connected UDP socket learns of ICMP port unreachable
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); s.connect((host, port))
        s.send(b"x"); s.recv(100); print("answered")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print("blocked" if isinstance(e, socket.timeout) or "timed out" in str(e) else "error %s" % e)
PY
ip netns exec "$nss" python3 "$dir/serve.py" 8080 8081 &
ip netns exec "$nsc" python3 "$dir/serve.py" 8080 &
sleep 0.5
run() { ip netns exec "$1" python3 "$dir/client.py" "${@:2}"; }
r=$(run "$nsc" tcp 10.77.0.2 8080)
[ "$r" = HELLO ] || fail "the allowed connection client -> server:8080 gave '$r'"
echo "  client -> server:8080 allowed, the reply came back: $r"
r=$(run "$nsc" tcp 10.77.0.2 8081)
[ "$r" = blocked ] || fail "client -> server:8081 (not allowed) gave '$r'"
r=$(run "$nss" tcp 10.77.0.1 8080)
[ "$r" = blocked ] || fail "the unsolicited server -> client:8080 gave '$r'"
echo "  client -> server:8081 and server -> client:8080 blocked"
ip netns exec "$nsc" ping -c 1 -W 2 10.77.0.2 >/dev/null || fail "ping client -> server failed"
ip netns exec "$nss" ping -c 1 -W 2 10.77.0.1 >/dev/null && fail "ping server -> client passed"
echo "  ping out answered, ping in blocked"
r=$(run "$nsc" udp 10.77.0.2 9999)
[ "$r" = refused ] || fail "UDP to a closed port: '$r' (the ICMP error should pass as RELATED)"
r=$(fwq fwn "d['nf']['states']['RELATED'], d['nf']['rules'][1]['packets'], d['nf']['rules'][3]['packets']")
[ "$r" = "1 1 1" ] || fail "(RELATED packets, NEW tcp 8080, NEW icmp) = $r"
[ "$(fwq fwn "d['nf']['rules'][0]['packets'] > 0 and d['nf']['arp'] > 0")" = True ] ||
  fail "no ESTABLISHED packets or no ARP through fwn"
echo "  UDP to a closed port: the ICMP error came back as RELATED"
echo "PASS"
