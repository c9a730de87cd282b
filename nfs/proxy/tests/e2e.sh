#!/usr/bin/env bash
# The web proxy/cache end to end: a client namespace, a web server namespace
# and the proxy (Squid, nfs/proxy/proxy.sh) in its own namespace, all behind
# e2d ports (AF_PACKET or AF_XDP on veths). e2d steers as the outbound half
# of the E2 paper's Appendix policy (policy/examples/fig14.e2) does:
#   int [dst port 80] -> p;   p [dst ip my_net] -> int;   p [!(dst ip my_net)] -> (server)
# and everything else straight between client and server. With real curl:
#   1. the first GET is fetched from the server through the proxy (the
#      server sees the proxy's address, Squid logs a MISS);
#   2. the second identical GET is served from the cache (the server still
#      saw exactly one request, Squid logs a HIT), byte-identical;
#   3. a connection to port 8080 bypasses the proxy (the server sees the
#      client's own address, Squid logs nothing new, e2d's counters agree);
#   4. by host name: a name the proxy can verify (its hosts file) is cached
#      like the address; a Host header that does not resolve to the address
#      connected to is served but never cached (Squid's defence against
#      cache poisoning).
# Usage: e2e.sh E2D E2CTL [af_packet|af_xdp]      (root; squid and nft)
set -euo pipefail
E2D=$1 E2CTL=$2 PMD=${3:-af_packet}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
source "$top/tests/integration/lib.sh"
require_root_netns
for c in squid nft curl ethtool; do
  command -v $c >/dev/null || { echo "SKIP: $c missing (scripts/deps.sh installs it)"; exit 77; }
done

# Addresses: the customer network (my_net of fig14), the proxy in it, a server outside.
my_net=10.12.30.0/24 cl_ip=10.12.30.10 px_ip=10.12.30.3 sv_ip=203.0.113.80
gw_mac=02:e2:00:00:00:01 cl_mac=02:00:0c:00:00:0a sv_mac=02:00:0c:00:00:50
pfx=px$(($$ % 10000)) dir=$(mktemp -d)
chmod 755 "$dir" # the proxy user walks into the state folder
state=$dir/state sock=$dir/e2d.sock

cleanup() {
  "$E2CTL" dp -s "$sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  "$top/nfs/proxy/proxy.sh" down "$pfx" --state "$state" || true
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  for n in cl sv; do
    ip link del "$pfx$n" 2>/dev/null || true
    ip netns del "$pfx$n" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in origin.log state/log/access.log state/log/cache.log e2d.log; do
    echo "--- $f" >&2
    tail -n 20 "$dir/$f" >&2 || true
  done
  exit 1
}

# A host: namespace $pfx$1 with interface eth0 (MAC $2, address $3/24), its
# default route through e2d ($4, a permanent neighbour), e2d's end $pfx$1.
host_ns() {
  local ns=$pfx$1 x="ip netns exec $pfx$1"
  ip netns add "$ns"
  ip link add "$ns" type veth peer name eth0 netns "$ns"
  sysctl -qw "net.ipv6.conf.$ns.disable_ipv6=1"
  ip link set "$ns" up
  $x sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  $x ip link set lo up
  $x ip link set eth0 address "$2"
  $x ethtool -K eth0 tx off >/dev/null
  $x ip link set eth0 up
  $x ip addr add "$3/24" dev eth0
  $x ip neigh replace "$4" lladdr "$gw_mac" dev eth0 nud permanent
  $x ip route add default via "$4" dev eth0
}
vdev() {
  if [ "$PMD" = af_xdp ]; then
    echo "net_af_xdp_$1,iface=$1,force_copy=1"
  else
    echo "net_af_packet_$1,iface=$1,framecnt=8192"
  fi
}
count() { stat "$sock" "$1" packets; }

echo "== the client, the web server, the proxy and e2d"
host_ns cl "$cl_mac" "$cl_ip" 10.12.30.1
host_ns sv "$sv_mac" "$sv_ip" 203.0.113.1
mkdir -p "$dir/www"
head -c 300000 /dev/urandom >"$dir/www/object.bin"
want=$(sha256sum <"$dir/www/object.bin")
ip netns exec "${pfx}sv" python3 "$here/origin.py" "$dir/www" "$dir/origin.log" 80 8080 &
listening() { [ "$(ip netns exec "${pfx}sv" ss -Hltn 'sport = :80 or sport = :8080' | wc -l)" -eq 2 ]; }
wait_for 30 listening || fail "the web server did not listen on ports 80 and 8080"

xdp=()
[ "$PMD" = af_xdp ] && xdp=(--xdp)
echo "$sv_ip www.e2.test" >"$dir/hosts"
"$top/nfs/proxy/proxy.sh" up "$pfx" --addr "$px_ip" --gw-mac "$gw_mac" --allow "$my_net" --hosts "$dir/hosts" \
  --state "$state" --cache-mb 32 --mem-mb 16 --wait 150 "${xdp[@]}" >"$dir/proxy.conf" ||
  fail "proxy.sh up failed"
px_mac=$(ip netns exec "e2nf-$pfx" cat /sys/class/net/in/address)
grep '^port' "$dir/proxy.conf" >"$dir/e2d.conf"
cat >>"$dir/e2d.conf" <<CONF
port cl(vdev="$(vdev "${pfx}cl")");
port sv(vdev="$(vdev "${pfx}sv")");
tocl :: PortOut(port=cl);
tosv :: PortOut(port=sv);
topx :: PortOut(port=${pfx}_in);
# from the client: int [dst port 80] -> p; the rest straight to the server
PortInc(port=cl) -> fromcl :: HeaderMatch(rules=[{proto=tcp, dst_port=80, gate=0}, {ether_type=ipv4, gate=1}]);
fromcl[0] -> c2p :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$px_mac") -> [0]topx;
fromcl[1] -> c2s :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$sv_mac") -> [0]tosv;
# from the proxy: p [dst ip my_net] -> int; p [!(dst ip my_net)] -> the server
PortInc(port=${pfx}_out) -> fromp :: HeaderMatch(rules=[{dst_ip="$my_net", gate=0}, {ether_type=ipv4, gate=1}]);
fromp[0] -> p2c :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$cl_mac") -> [0]tocl;
fromp[1] -> p2s :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$sv_mac") -> [1]tosv;
# from the server: answers to the proxy's own address go to the proxy, the rest to the client
PortInc(port=sv) -> fromsv :: HeaderMatch(rules=[{dst_ip="$px_ip", gate=0}, {dst_ip="$my_net", gate=1}]);
fromsv[0] -> s2p :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$px_mac") -> [1]topx;
fromsv[1] -> s2c :: Counter() -> Rewrite(src_mac="$gw_mac", dst_mac="$cl_mac") -> [1]tocl;
CONF
"$E2D" --no-huge -n "$pfx" -m 256 -s "$sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$sock" 30 || fail "e2d did not start"
echo "  $PMD ports; proxy $px_ip (in MAC $px_mac), client $cl_ip, server $sv_ip"

get() { # get NAME URL [CURL OPTION...]: from the client, body to NAME.body, headers to NAME.hdr
  local name=$1 url=$2
  shift 2
  ip netns exec "${pfx}cl" curl -sS --connect-timeout 10 --max-time 60 --retry 2 \
    -o "$dir/$name.body" -D "$dir/$name.hdr" -w '%{http_code}' "$@" "$url"
}
origin_lines() { grep -c "^$1 .*GET /object.bin" "$dir/origin.log" || true; }
access_lines() { grep -c "GET http://${1:-$sv_ip}/object.bin" "$state/log/access.log" || true; }
access_has() { [ "$(access_lines "${2:-}")" -ge "$1" ]; }
access_code() { grep "GET http://$1/object.bin" "$state/log/access.log" | sed -n "$2p" | awk '{print $4}'; }

echo "== 1. first GET: through the proxy, from the server"
code=$(get first "http://$sv_ip/object.bin") || fail "curl through the proxy failed"
[ "$code" = 200 ] || fail "first GET answered $code"
[ "$(sha256sum <"$dir/first.body")" = "$want" ] || fail "first GET: the body differs from the server's file"
[ "$(origin_lines 80)" -eq 1 ] || fail "the server saw $(origin_lines 80) requests on port 80, not 1"
grep -q "^80 $px_ip \"GET /object.bin" "$dir/origin.log" || fail "the request did not come from the proxy ($px_ip)"
wait_for 20 access_has 1 || fail "Squid logged no request"
first=$(access_code "$sv_ip" 1)
echo "$first" | grep -q MISS || fail "Squid's first log line is $first, not a MISS"
echo "  200, sha256 matches; the server saw the proxy's address; Squid: $first"

echo "== 2. second identical GET: from the cache"
code=$(get second "http://$sv_ip/object.bin") || fail "second curl through the proxy failed"
[ "$code" = 200 ] || fail "second GET answered $code"
cmp -s "$dir/first.body" "$dir/second.body" || fail "second GET: the body differs from the first"
[ "$(sha256sum <"$dir/second.body")" = "$want" ] || fail "second GET: the body differs from the server's file"
wait_for 20 access_has 2 || fail "Squid logged no second request"
second=$(access_code "$sv_ip" 2)
echo "$second" | grep -q HIT || fail "Squid's second log line is $second, not a HIT"
grep -qi '^X-Cache: HIT' "$dir/second.hdr" || fail "the second answer has no 'X-Cache: HIT' header"
[ "$(origin_lines 80)" -eq 1 ] || fail "the server saw $(origin_lines 80) requests on port 80, not exactly 1"
echo "  200, byte-identical; the server still saw exactly 1 request; Squid: $second"
"$top/nfs/proxy/proxy.sh" stats "$pfx" >"$dir/stats" || fail "proxy.sh stats failed"
pstat() { awk -v k="$1" '$1 == k {print $2}' "$dir/stats"; }
got="$(pstat intercepted_connections) $(pstat client_http.requests) $(pstat client_http.hits) $(pstat server.http.requests)"
[ "$got" = "2 2 1 1" ] || fail "proxy.sh stats: (intercepted connections, requests, hits, server requests) = ($got), not (2 2 1 1)"
echo "  proxy.sh stats: 2 connections intercepted, 2 requests, 1 hit, 1 request to the server"

echo "== 3. port 8080 bypasses the proxy"
before=$(count c2p)
code=$(get direct "http://$sv_ip:8080/object.bin") || fail "curl to port 8080 failed"
[ "$code" = 200 ] || fail "GET on port 8080 answered $code"
[ "$(sha256sum <"$dir/direct.body")" = "$want" ] || fail "GET on port 8080: the body differs"
grep -q "^8080 $cl_ip \"GET /object.bin" "$dir/origin.log" || fail "port 8080's request did not come from the client itself"
grep -qi '^X-Cache' "$dir/direct.hdr" && fail "port 8080's answer went through Squid"
[ "$(access_lines)" -eq 2 ] || fail "Squid logged the port 8080 request"
[ "$(count c2p)" -eq "$before" ] || fail "e2d sent port 8080 packets to the proxy"
echo "  200, identical; the server saw the client's own address; nothing reached the proxy"

echo "== 4. by host name: verified names are cached, forged Host headers are not"
for host in www.e2.test www.forged.test; do
  for n in 1 2; do
    code=$(get "$host$n" "http://$host/object.bin" --resolve "$host:80:$sv_ip") || fail "curl http://$host failed"
    [ "$code" = 200 ] || fail "GET http://$host answered $code"
    [ "$(sha256sum <"$dir/$host$n.body")" = "$want" ] || fail "GET http://$host: the body differs"
    wait_for 20 access_has "$n" "$host" || fail "Squid did not log GET http://$host"
  done
done
got="$(access_code www.e2.test 1) $(access_code www.e2.test 2)"
[[ "$got" =~ ^TCP_MISS/200\ TCP_(MEM_)?HIT/200$ ]] || fail "www.e2.test: Squid logged $got, not a MISS then a HIT"
got="$(access_code www.forged.test 1) $(access_code www.forged.test 2)"
[[ "$got" =~ ^TCP_MISS/200\ TCP_MISS/200$ ]] || fail "www.forged.test: Squid logged $got, not two MISSes"
[ "$(origin_lines 80)" -eq 4 ] || fail "the server saw $(origin_lines 80) requests on port 80, not 4"
echo "  www.e2.test (in the proxy's hosts file): MISS then HIT; www.forged.test: MISS twice; the server saw 4 in all"

c2p=$(count c2p) p2c=$(count p2c) p2s=$(count p2s) s2p=$(count s2p) c2s=$(count c2s) s2c=$(count s2c)
echo "  e2d packets: client->proxy $c2p, proxy->client $p2c, proxy->server $p2s, server->proxy $s2p," \
  "client->server $c2s, server->client $s2c"
for n in c2p p2c p2s s2p c2s s2c; do
  [ "${!n}" -gt 0 ] || fail "no packets on e2d's path $n"
done
echo "PASS"
