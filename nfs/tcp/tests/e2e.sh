#!/usr/bin/env bash
# The TCP NF and the DPI NFs end to end with real TCP: a web client and a
# server (webpair.py) in two namespaces, e2d between them with an AF_PACKET
# port on a veth into each. The client opens 8 connections at once and
# pipelines 6 requests on each (GETs of ~300 kB bodies with signatures and
# repeated blocks, chunked or not, and a POST), counting every byte sent and
# received and every signature in each direction's stream. Both hosts drop
# 1% of the data segments they receive (nftables, input hook): e2d saw them,
# so every NF's reassembly meets real retransmissions; their receive
# buffers keep windows within what the NFs hold out of order.
#   1. ByteStream: packets -> e2nf-tcp -> back out; its messages -> SIG
#      (Hyperscan) -> HTTP -> RE over reliable VPorts. RE is stopped
#      (SIGSTOP) before the client starts: the chain fills and back-pressure
#      reaches the TCP NF (it stops taking packets; TCP retransmits), then
#      RE goes on. Afterwards the TCP NF counted exactly the bytes the client
#      sent and received, SIG, HTTP and RE each got every message it made and
#      saw the same bytes, e2d dropped no message, SIG's matches are the
#      client's count per pattern, HTTP's log is the client's requests, RE
#      found the repeated content.
#   2. Library: packets -> SIG (Aho-Corasick) -> HTTP -> RE -> back out,
#      each reassembling itself (and each counting retransmitted bytes),
#      reliable VPorts between them: the same outcomes from packets.
# Usage: e2e.sh E2D E2CTL E2NF-TCP E2NF-SIG E2NF-HTTP E2NF-RE      (root, hugepages)
set -euo pipefail
E2D=$1 E2CTL=$2 TCP=$3 SIG=$4 HTTP=$5 RE=$6
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../tests/integration/lib.sh"
require_root_hugepages
command -v ethtool >/dev/null || { echo "SKIP: ethtool missing (scripts/deps.sh)"; exit 77; }

id=$(($$ % 100000)) dir=$(mktemp -d)
nsc=dpic$id nss=dpis$id vc=dvc$id vs=dvs$id
CLIENT=10.77.0.1 SERVER=10.77.0.2 CONNS=8 REQS=6 SIZE=300000
cleanup() { two_hosts_end "$nsc" "$vc" "$nss" "$vs"; }
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  kill -CONT $(jobs -p) 2>/dev/null || true
  for c in "$dir"/*.ctl; do [ -S "$c" ] && { echo "== $c" >&2; timeout 5 "$E2CTL" nf -s "$c" stats >&2; }; done
  cat "$dir"/*.err "$dir"/*.log >&2 2>/dev/null || true
  exit 1
}
in_ns() { ip netns exec "$1" "${@:2}"; }
nfstat() { "$E2CTL" nf -s "$dir/$1.ctl" stats | json "$2"; }

two_hosts "$nsc" "$vc" $CLIENT "$nss" "$vs" $SERVER
for ns in "$nsc" "$nss"; do
  # windows under the NFs' 256 KiB of out-of-order bytes per direction: a
  # hole (a lost retransmission) is waited for, never given up as a gap
  in_ns "$ns" sysctl -qw net.ipv4.tcp_rmem="4096 131072 196608"
done
lossy() { # NS SELECTOR: drop 1% of the TCP data segments the host receives
  in_ns "$1" nft -f - <<NFT
table inet lossy {
  chain in { type filter hook input priority 0; $2 meta length > 200 numgen random mod 100 < 1 drop; }
}
NFT
}
lossy "$nsc" "tcp sport 8080"
lossy "$nss" "tcp dport 8080"

cat >"$dir/patterns.sig" <<'EOF'
# the signatures webpair.py puts in bodies, and the end of every header block
binsh     "/bin/sh"
shellcode SHELLCODE nocase
crlf2     "|0d 0a 0d 0a|"
EOF
in_ns "$nss" python3 "$here/webpair.py" serve $SERVER 8080 >"$dir/server.log" 2>&1 &
for ((i = 0; i < 300; i++)); do in_ns "$nss" ss -ltn | grep -q ':8080 ' && break; sleep 0.1; done

ports() { # the two AF_PACKET ports and the way back out by destination
  cat <<CONF
port pc(vdev="net_af_packet_c$id,iface=$vc,framecnt=2048");
port ps(vdev="net_af_packet_s$id,iface=$vs,framecnt=2048");
steer :: HeaderMatch(rules=[{dst_ip="$CLIENT/32", gate=0}], default_gate=1);
steer[0] -> PortOut(port=pc);
steer[1] -> PortOut(port=ps);
CONF
}

start_nf() { # NAME BINARY ARGS...
  local name=$1 bin=$2
  shift 2
  "$bin" -n "$name" -s "$sock" --ctl "$dir/$name.ctl" "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  eval "pid_$name=$!"
  for ((i = 0; i < 300; i++)); do "$E2CTL" nf -s "$dir/$name.ctl" stats >/dev/null 2>&1 && return; sleep 0.1; done
  fail "$name did not start"
}

# Run the client; with PAUSE, RE is stopped until back-pressure reached PAUSE
# (that NF found its output queue full and stopped taking input).
traffic() { # [PAUSE]
  local pause=${1:-}
  [ -z "$pause" ] || kill -STOP "$pid_re"
  in_ns "$nsc" python3 "$here/webpair.py" fetch $SERVER 8080 $CONNS $REQS $SIZE "$dir/patterns.sig" \
    >"$dir/client.json" 2>"$dir/client.err" &
  local client=$!
  if [ -n "$pause" ]; then
    for ((i = 0; i < 300; i++)); do [ "$(nfstat "$pause" "d['nf']['blocked']")" -gt 0 ] && break; sleep 0.1; done
    [ "$(nfstat "$pause" "d['nf']['blocked']")" -gt 0 ] || fail "$pause was never held back: RE's pause proved nothing"
    echo "  back-pressure reached $pause; RE goes on"
    kill -CONT "$pid_re"
  fi
  wait $client || fail "the client failed: $(cat "$dir/client.err")"
  local want
  want=$(json "d['sent'] + d['received']" <"$dir/client.json")
  for ((i = 0; i < 300; i++)); do
    [ "$(nfstat re "d['nf']['client_bytes'] + d['nf']['server_bytes']")" = "$want" ] && break
    sleep 0.1
  done
  echo "  client: $(json "d['sent'], d['received'], len(d['requests']), d['matches']" <"$dir/client.json")"
}

# The NF reassembled real retransmissions (the hosts' losses): NF...
retransmitted() {
  for nf in "$@"; do
    local r
    r=$(nfstat "$nf" "d['nf']['reassembly']['retransmitted_bytes']")
    [ "$r" -gt 0 ] || fail "$nf saw no retransmitted bytes: the losses proved nothing"
    echo "  $nf: $r retransmitted bytes dropped"
  done
}

# What every DPI NF must have seen, from either mode.
check_dpi() { # MODE
  local sent recv
  sent=$(json "d['sent']" <"$dir/client.json")
  recv=$(json "d['received']" <"$dir/client.json")
  for nf in sig http re; do
    local got
    got=$(nfstat $nf "d['nf']['streams']['client_bytes'], d['nf']['streams']['server_bytes']")
    [ "$got" = "$sent $recv" ] || fail "$1: $nf saw (client, server) bytes $got, the client sent $sent and received $recv"
  done
  [ "$(nfstat re "d['nf']['client_bytes'], d['nf']['server_bytes']")" = "$sent $recv" ] ||
    fail "$1: RE's own byte counts differ"
  "$E2CTL" nf -s "$dir/sig.ctl" top limit=10 >"$dir/top.json"
  python3 - "$dir/client.json" "$dir/top.json" <<'PY' || fail "$1: SIG's matches differ from the client's count"
import json, sys
want = json.load(open(sys.argv[1]))["matches"]
got = {p["name"]: p["matches"] for p in json.load(open(sys.argv[2]))}
print("  SIG matches", got)
sys.exit(0 if got == want else 1)
PY
  for ((i = 0; i < 50; i++)); do
    [ "$(wc -l <"$dir/http-$1.jsonl")" -ge $((CONNS * REQS)) ] && break
    sleep 0.1
  done
  python3 - "$dir/client.json" "$dir/http-$1.jsonl" $SERVER <<'PY' || fail "$1: HTTP's log differs from the client's requests"
import json, sys
client = json.load(open(sys.argv[1]))
want = sorted((r["method"], r["path"], r["status"], r["bytes"]) for r in client["requests"])
lines = [json.loads(l) for l in open(sys.argv[2])]
got = sorted((l["method"], l["path"], l["status"], l["bytes"]) for l in lines)
hosts = {l["host"] for l in lines}
print("  HTTP logged %d requests, hosts %s" % (len(lines), hosts))
sys.exit(0 if got == want and hosts == {sys.argv[3] + ":8080"} else 1)
PY
  local errs
  errs=$(nfstat http "sum(d['nf']['errors'].values()), d['nf']['unanswered'], d['nf']['pipelined'] > 0")
  [ "$errs" = "0 0 True" ] || fail "$1: HTTP (errors, unanswered, pipelined) = $errs"
  local saved
  saved=$(nfstat re "d['nf']['saved_bytes']")
  [ "$saved" -gt $((recv / 5)) ] || fail "$1: RE saved only $saved of $recv bytes"
  echo "  RE would save $saved of $((sent + recv)) bytes"
}

echo "== 1. ByteStream: TCP -> SIG (hyperscan) -> HTTP -> RE"
sock=$dir/bs.sock
{
  echo "nf tcp(ports=[in, out, bs], ring_size=512);"
  for nf in sig http; do echo "nf $nf(ports=[bs, bs_out], ring_size=256);"; done
  echo "nf re(ports=[bs], ring_size=256);"
  ports
  echo "to_tcp :: VPort(nf=tcp, port=in); PortInc(port=pc) -> to_tcp; PortInc(port=ps) -> to_tcp;"
  echo "VPort(nf=tcp, port=out) -> steer;"
  echo "VPort(nf=tcp, port=bs, reliable=true) -> VPort(nf=sig, port=bs);"
  echo "VPort(nf=sig, port=bs_out, reliable=true) -> VPort(nf=http, port=bs);"
  echo "VPort(nf=http, port=bs_out, reliable=true) -> VPort(nf=re, port=bs);"
} >"$dir/bs.conf"
"$E2D" -n "dpib$id" -m 256 -s "$sock" -c "$dir/bs.conf" >"$dir/e2d-bs.log" 2>&1 &
wait_socket "$sock" || fail "e2d did not start"
start_nf tcp "$TCP"
start_nf sig "$SIG" --mode bytestream --engine hyperscan -c "$dir/patterns.sig"
start_nf http "$HTTP" --mode bytestream --log "$dir/http-bs.jsonl"
start_nf re "$RE" --mode bytestream
traffic tcp
r=$(nfstat tcp "d['nf']['streams']['client_bytes'], d['nf']['streams']['server_bytes'], d['nf']['lost'], d['nf']['streams']['connections']")
[ "$r" = "$(json "d['sent'], d['received'], 0, $CONNS" <"$dir/client.json")" ] ||
  fail "the TCP NF's (client bytes, server bytes, lost, connections) = $r"
msgs=$(nfstat tcp "sum(d['nf']['messages'].values())")
for nf in sig http re; do
  got=$(nfstat $nf "d['nf']['units'], d['nf']['not_messages'], d['nf']['streams']['bad_messages']")
  [ "$got" = "$msgs 0 0" ] || fail "$nf got (messages, not messages, bad) $got of $msgs messages"
done
drops=$("$E2CTL" dp -s "$sock" --json nfs |
  json "sum(p['full_drops'] for n in d if n['name'] in ('sig', 'http', 're') for p in n['ports'])")
[ "$drops" = 0 ] || fail "e2d dropped $drops messages on the reliable path"
echo "  the TCP NF made $msgs messages; SIG, HTTP and RE each got all of them; e2d dropped none"
check_dpi bs
retransmitted tcp
kill "$pid_tcp" "$pid_sig" "$pid_http" "$pid_re"
wait "$pid_tcp" "$pid_sig" "$pid_http" "$pid_re" || fail "an NF did not stop cleanly"
"$E2CTL" dp -s "$sock" quit >/dev/null

echo "== 2. Library: SIG (Aho-Corasick) -> HTTP -> RE, each reassembling"
sock=$dir/lib.sock
rm -f "$dir"/*.ctl
{
  for nf in sig http re; do echo "nf $nf(ports=[in, out], ring_size=256);"; done
  ports
  echo "to_sig :: VPort(nf=sig, port=in); PortInc(port=pc) -> to_sig; PortInc(port=ps) -> to_sig;"
  echo "VPort(nf=sig, port=out, reliable=true) -> VPort(nf=http, port=in);"
  echo "VPort(nf=http, port=out, reliable=true) -> VPort(nf=re, port=in);"
  echo "VPort(nf=re, port=out) -> steer;"
} >"$dir/lib.conf"
"$E2D" -n "dpil$id" -m 256 -s "$sock" -c "$dir/lib.conf" >"$dir/e2d-lib.log" 2>&1 &
wait_socket "$sock" || fail "e2d did not start"
start_nf sig "$SIG" --mode library --engine ac -c "$dir/patterns.sig"
start_nf http "$HTTP" --mode library --log "$dir/http-lib.jsonl"
start_nf re "$RE" --mode library
traffic
check_dpi lib
retransmitted sig http re
echo "PASS"
