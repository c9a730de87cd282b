#!/usr/bin/env bash
# The E2 paper's Appendix policy (policy/examples/fig14.e2) on one e2d, with
# the real NFs and real clients: the web proxy/cache (Squid, a legacy NF in
# its own namespace), the NAT (e2nf-nat) and the stateful firewall (e2nf-fw,
# safe/unsafe ports), between a customer host (int) and a web server on the
# WAN (ext). e2d's graph is the policy's, edge by edge, with a counter on
# every edge:
#   outbound  int [dst port 80] -> p;  int [!(dst port 80)] -> n;
#             p [!(dst ip my_net)] -> n;  n -> f;
#             f [FW.safe && !(dst ip wan_net)] -> ext;  f [!FW.safe] -> Drop;
#   inbound   ext -> f;  f [FW.safe && (dst ip wan_net)] -> n;
#             n [(src port 80) && (dst ip my_net)] -> p;
#             n [!(src port 80) && (dst ip my_net)] -> int;  p [dst ip my_net] -> int;
# With curl from the customer:
#   1. a GET of port 80 goes client -> proxy -> NAT -> firewall -> server and
#      back server -> firewall -> NAT -> proxy -> client: the server sees the
#      NAT's public address (the proxy's connection, translated), Squid logs
#      a MISS, the body is the server's;
#   2. the same GET again is a cache HIT: the server saw one request;
#   3. port 8080 bypasses the proxy: client -> NAT -> firewall -> server,
#      the server sees a public address, Squid logs nothing new;
#   4. a connection the server opens to the public address is unsolicited:
#      the firewall sends it out of "unsafe" and it never reaches the NAT;
#   5. every edge of the policy carried packets, and the NAT's mappings hold
#      the proxy's and the client's connections.
# Usage: appendix.sh E2D E2CTL E2NF-NAT E2NF-FW      (root, hugepages, squid)
set -euo pipefail
E2D=$1 E2CTL=$2 NAT=$3 FW=$4
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
require_root_hugepages
source "$top/nfs/proxy/tests/lib.sh"
pfx=ap$(($$ % 10000)) wan_net=131.114.88.92/30
fail_logs=(origin.log state/log/access.log nat.err fw.err e2d.log)
fail_hook() { # on failure: e2d's modules and the NFs' counters
  "$E2CTL" dp -s "$sock" modules >&2 || true
  for n in nat fw; do "$E2CTL" nf -s "$dir/$n.ctl" stats >&2 || true; done
}
count() { stat "$sock" "$1" packets; }

echo "== the customer host, the web server on the WAN, the proxy"
proxy_test_begin
"$top/nfs/proxy/proxy.sh" up "$pfx" --addr "$px_ip" --gw-mac "$gw_mac" --allow "$my_net" \
  --state "$state" --cache-mb 32 --mem-mb 16 --wait 150 >"$dir/proxy.conf" || fail "proxy.sh up failed"
px_mac=$(ip netns exec "e2nf-$pfx" cat /sys/class/net/in/address)

echo "== e2d with the policy's edges, the NAT and the firewall"
cat >"$dir/nat.conf" <<CONF
inside $my_net
public $wan_net ports 1024-65535
CONF
cat >"$dir/fw.rules" <<RULES
-P FORWARD DROP
-A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT
# outbound, after the NAT: new connections from the public addresses
-A FORWARD -p tcp -s $wan_net -m state --state NEW -j ACCEPT
RULES
grep '^port' "$dir/proxy.conf" >"$dir/e2d.conf"
cat >>"$dir/e2d.conf" <<CONF
nf nat(ports=[in, out]);
nf fw(ports=[in, safe, unsafe]);
port int(vdev="net_af_packet_${pfx}cl,iface=${pfx}cl,framecnt=2048");
port ext(vdev="net_af_packet_${pfx}sv,iface=${pfx}sv,framecnt=2048");
to_int :: PortOut(port=int);
to_ext :: PortOut(port=ext);
to_p :: PortOut(port=${pfx}_in);
to_n :: VPort(nf=nat, port=in);
to_f :: VPort(nf=fw, port=in);
to_drop :: Sink();

# int [dst port 80] -> p;  int [!(dst port 80)] -> n
PortInc(port=int) -> from_int :: HeaderMatch(rules=[{proto=tcp, dst_port=80, gate=0}, {ether_type=ipv4, gate=1}]);
from_int[0] -> int_p :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$px_mac") -> [0]to_p;
from_int[1] -> int_n :: Counter() -> [0]to_n;
# p [dst ip my_net] -> int;  p [!(dst ip my_net)] -> n
PortInc(port=${pfx}_out) -> from_p :: HeaderMatch(rules=[{dst_ip="$my_net", gate=0}, {ether_type=ipv4, gate=1}]);
from_p[0] -> p_int :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$cl_mac") -> [0]to_int;
from_p[1] -> p_n :: Counter() -> [1]to_n;
# n [(src port 80) && (dst ip my_net)] -> p;  n [!(src port 80) && (dst ip my_net)] -> int;
# n -> f (outbound: what the NAT sends away from my_net)
VPort(nf=nat, port=out) -> from_n :: HeaderMatch(rules=[{dst_ip="$my_net", src_port=80, gate=0}, {dst_ip="$my_net", gate=1}, {ether_type=ipv4, gate=2}]);
from_n[0] -> n_p :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$px_mac") -> [1]to_p;
from_n[1] -> n_int :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$cl_mac") -> [1]to_int;
from_n[2] -> n_f :: Counter() -> [0]to_f;
# ext -> f
PortInc(port=ext) -> ext_f :: Counter() -> [1]to_f;
# f [FW.safe && (dst ip wan_net)] -> n;  f [FW.safe && !(dst ip wan_net)] -> ext;  f [!FW.safe] -> Drop
VPort(nf=fw, port=safe) -> from_f :: HeaderMatch(rules=[{dst_ip="$wan_net", gate=0}], default_gate=1);
from_f[0] -> f_n :: Counter() -> [2]to_n;
from_f[1] -> f_ext :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$sv_mac") -> [0]to_ext;
VPort(nf=fw, port=unsafe) -> f_drop :: Counter() -> to_drop;
CONF
"$E2D" -n "$pfx" -m 256 -s "$sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$sock" 30 || fail "e2d did not start"
"$NAT" -n nat -s "$sock" -c "$dir/nat.conf" --ctl "$dir/nat.ctl" >"$dir/nat.out" 2>"$dir/nat.err" &
"$FW" -n fw -s "$sock" -c "$dir/fw.rules" --ctl "$dir/fw.ctl" >"$dir/fw.out" 2>"$dir/fw.err" &
nf_up() { "$E2CTL" nf -s "$dir/$1.ctl" stats >/dev/null 2>&1; }
wait_for 30 nf_up nat || fail "the NAT did not start"
wait_for 30 nf_up fw || fail "the firewall did not start"
echo "  proxy $px_ip, client $cl_ip, server $sv_ip, public $wan_net"

public() { [[ "$1" =~ ^131\.114\.88\.9[2-5]\ $ ]]; }

echo "== 1. GET port 80: client -> proxy -> NAT -> firewall -> server, and back"
code=$(get first "http://$sv_ip/object.bin") || fail "curl through the proxy failed"
[ "$code" = 200 ] || fail "first GET answered $code"
[ "$(sha256sum <"$dir/first.body")" = "$want" ] || fail "first GET: the body differs from the server's file"
seen=$(origin_from 80)
public "$seen" || fail "the server saw the proxy's request from '$seen', not a public address of $wan_net"
wait_for 20 access_has 1 || fail "Squid logged no request"
access_code "$sv_ip" 1 | grep -q MISS || fail "Squid's first log line is $(access_code "$sv_ip" 1), not a MISS"
echo "  200, sha256 matches; the server saw ${seen% }; Squid: $(access_code "$sv_ip" 1)"

echo "== 2. the same GET: a cache hit"
code=$(get second "http://$sv_ip/object.bin") || fail "second curl failed"
[ "$code" = 200 ] || fail "second GET answered $code"
cmp -s "$dir/first.body" "$dir/second.body" || fail "second GET: the body differs from the first"
wait_for 20 access_has 2 || fail "Squid logged no second request"
access_code "$sv_ip" 2 | grep -q HIT || fail "Squid's second log line is $(access_code "$sv_ip" 2), not a HIT"
[ "$(origin_lines 80)" -eq 1 ] || fail "the server saw $(origin_lines 80) requests on port 80, not 1"
echo "  200, byte-identical; the server saw 1 request; Squid: $(access_code "$sv_ip" 2)"

echo "== 3. port 8080: client -> NAT -> firewall -> server, no proxy"
to_proxy=$(count int_p)
code=$(get direct "http://$sv_ip:8080/object.bin") || fail "curl to port 8080 failed"
[ "$code" = 200 ] || fail "GET on port 8080 answered $code"
[ "$(sha256sum <"$dir/direct.body")" = "$want" ] || fail "GET on port 8080: the body differs"
seen=$(origin_from 8080)
public "$seen" || fail "the server saw port 8080's request from '$seen', not a public address"
[ "$(access_lines)" -eq 2 ] || fail "Squid logged the port 8080 request"
[ "$(count int_p)" -eq "$to_proxy" ] || fail "e2d sent port 8080 packets to the proxy"
echo "  200, identical; the server saw ${seen% }; nothing reached the proxy"

echo "== 4. a connection from the WAN to a public address: unsafe, dropped"
dropped=$(count f_drop) to_nat=$(count f_n)
ip netns exec "${pfx}sv" curl -sS --connect-timeout 2 --max-time 3 -o /dev/null "http://131.114.88.92:80/" 2>/dev/null &&
  fail "an unsolicited connection from the WAN got through"
[ "$(count f_drop)" -gt "$dropped" ] || fail "the firewall's unsafe port carried none of the WAN's SYNs"
[ "$(count f_n)" -eq "$to_nat" ] || fail "the unsolicited connection reached the NAT"
echo "  refused: $(($(count f_drop) - dropped)) SYNs left the firewall as unsafe, none reached the NAT"

echo "== 5. every edge carried packets; the NAT's mappings"
line=""
for e in int_p int_n p_int p_n n_p n_int n_f ext_f f_n f_ext f_drop; do
  c=$(count $e)
  [ "$c" -gt 0 ] || fail "no packets on the edge $e"
  line+=" $e=$c"
done
echo " $line"
maps=$("$E2CTL" nf -s "$dir/nat.ctl" mappings proto=tcp)
for ip in "$px_ip" "$cl_ip"; do
  grep -q "\"$ip:" <<<"$maps" || fail "the NAT has no TCP mapping of $ip: $maps"
done
echo "  the NAT maps the proxy ($px_ip) and the client ($cl_ip)"
echo "PASS"
