#!/usr/bin/env bash
# The IDS end to end with the firewall, real TCP and UDP: a client and a
# server (attack.py) in two namespaces, e2d between them with an AF_PACKET
# port on a veth into each; every packet goes through e2nf-fw (policy
# ACCEPT) and then e2nf-ids (library mode, Hyperscan), whose IDS.safe tag
# e2d counts (MetadataMatch -> Counter) before sending packets on: the IDS
# judges, the firewall blocks.
#   1. A clean connection: no alert, every packet safe, nothing blocked.
#   2. An attack split across two TCP segments ("... CMD.E" then "XE /C ...";
#      the client sends the second only after the server got the first):
#      one alert naming the rule and the flow (alert_fast log and the
#      alerts op), the packets from the second segment on tagged unsafe,
#      one block signal, and the firewall blocks the flow: after that, lines
#      the client sends are dropped by the firewall and the server's count
#      for that flow stops, while a new connection from another port works.
#   3. UDP: a datagram with a signature is caught alone and its flow
#      blocked; the flow's next datagram never arrives, another flow's does.
#   4. A rule file with an error is refused on reload with FILE:LINE and
#      the rules keep running.
# Usage: e2e.sh E2D E2CTL E2NF-IDS E2NF-FW      (root, hugepages)
set -euo pipefail
E2D=$1 E2CTL=$2 IDS=$3 FW=$4
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../tests/integration/lib.sh"
require_root_hugepages

id=$(($$ % 100000)) dir=$(mktemp -d)
nsc=idsc$id nss=idss$id vc=ivc$id vs=ivs$id sock=$dir/e2d.sock
CLIENT=10.78.0.1 SERVER=10.78.0.2
cleanup() { two_hosts_end "$nsc" "$vc" "$nss" "$vs"; }
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for c in "$dir"/*.ctl; do [ -S "$c" ] && { echo "== $c" >&2; timeout 5 "$E2CTL" nf -s "$c" stats >&2; }; done
  cat "$dir"/*.err "$dir"/*.log >&2 2>/dev/null || true
  exit 1
}
in_ns() { ip netns exec "$1" "${@:2}"; }
nfstat() { "$E2CTL" nf -s "$dir/$1.ctl" stats | json "$2"; }
count() { "$E2CTL" dp -s "$sock" --json cmd "$1" get | json "d['packets']"; }
# What the server got from client port SPORT over PROTO: tcp, the last total; udp, datagrams.
served() {
  python3 - "$dir/server.log" "$1" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [l for l in lines if l["proto"] == sys.argv[2] and l["sport"] == int(sys.argv[3])]
print(len(mine) if sys.argv[2] == "udp" else (mine[-1]["total"] if mine else 0))
PY
}
# until COMMAND prints VALUE (or more, with -ge), within SECONDS
wait_eq() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do [ "$(eval "$1")" = "$2" ] && return 0; sleep 0.1; done
  fail "waited $3 s for '$1' to be $2; it is $(eval "$1")"
}
wait_ge() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do [ "$(eval "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  fail "waited $3 s for '$1' to reach $2; it is $(eval "$1")"
}

two_hosts "$nsc" "$vc" $CLIENT "$nss" "$vs" $SERVER

cat >"$dir/ids.rules" <<'EOF'
# split across segments by the client; nocase
alert tcp any any -> any 8080 (msg:"cmd.exe in a request"; content:"cmd.exe /c"; nocase; sid:1000001; rev:2; priority:1;)
alert udp any any -> any 5353 (msg:"bad name"; content:"|07|badness"; offset:2; sid:1000002;)
EOF
echo "-P FORWARD ACCEPT" >"$dir/fw.rules"
cat >"$dir/e2d.conf" <<EOF
tag(name="IDS.safe");
tag(name="IDS.verdict");
nf fw(ports=[in, safe, unsafe], ring_size=512);
nf ids(ports=[in, out], ring_size=512);
port pc(vdev="net_af_packet_ic$id,iface=$vc,framecnt=2048");
port ps(vdev="net_af_packet_is$id,iface=$vs,framecnt=2048");
to_fw :: VPort(nf=fw, port=in); PortInc(port=pc) -> to_fw; PortInc(port=ps) -> to_fw;
VPort(nf=fw, port=safe) -> VPort(nf=ids, port=in);
VPort(nf=fw, port=unsafe) -> blocked :: Counter() -> Drop();
VPort(nf=ids, port=out) -> judge :: MetadataMatch(rules=[{tag="IDS.safe", value=1, gate=0}], default_gate=1);
steer :: HeaderMatch(rules=[{dst_ip="$CLIENT/32", gate=0}], default_gate=1);
judge[0] -> safe :: Counter() -> steer;
judge[1] -> unsafe :: Counter() -> steer;
steer[0] -> PortOut(port=pc);
steer[1] -> PortOut(port=ps);
EOF
"$E2D" -n "ids$id" -m 256 -s "$sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$sock" || fail "e2d did not start"
start_nf() { # NAME BINARY ARGS...
  local name=$1 bin=$2 i
  shift 2
  "$bin" -n "$name" -s "$sock" --ctl "$dir/$name.ctl" "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  for ((i = 0; i < 300; i++)); do "$E2CTL" nf -s "$dir/$name.ctl" stats >/dev/null 2>&1 && return; sleep 0.1; done
  fail "$name did not start"
}
start_nf fw "$FW" -c "$dir/fw.rules"
start_nf ids "$IDS" -c "$dir/ids.rules" --fw fw --log "$dir/alerts.log"
in_ns "$nss" python3 "$here/attack.py" serve $SERVER 8080 5353 >"$dir/server.log" 2>"$dir/server.err" &
wait_eq "in_ns $nss ss -ltn | grep -c ':8080 '" 1 30
client() { in_ns "$nsc" python3 "$here/attack.py" "$@"; }

echo "== 1. a clean connection"
client tcp $SERVER 8080 40000 "$dir/go0" "GET /index.html HTTP/1.0\r\n" "Host: x\r\n\r\n" >/dev/null ||
  fail "the clean client failed"
wait_eq "served tcp 40000" 37 30
[ "$(count unsafe)" = 0 ] || fail "$(count unsafe) packets of a clean connection were unsafe"
[ "$(nfstat ids "d['nf']['alerts'], d['nf']['signals_sent']")" = "0 0" ] || fail "alerts without an attack"
echo "  37 bytes served, $(count safe) packets safe, none unsafe"

echo "== 2. an attack split across two segments"
part1="GET /x?a=CMD.E" part2="XE /C dir HTTP/1.0\r\n\r\n"
client tcp $SERVER 8080 40001 "$dir/go1" "$part1" "$part2" go "more 1\n" "more 2\n" "more 3\n" \
  >"$dir/attack.json" 2>"$dir/attack.err" &
attack=$!
wait_eq "nfstat fw \"d['nf']['blocks']['added']\"" 1 30
wait_eq "served tcp 40001" 36 30 # both segments: the IDS judges, the firewall blocks
log=$(cat "$dir/alerts.log")
echo "  alert: $log"
[[ $log == *"[1:1000001:2] cmd.exe in a request [**] [Priority: 1] {TCP} $CLIENT:40001 -> $SERVER:8080" ]] ||
  fail "the alert log says '$log'"
[ "$(wc -l <"$dir/alerts.log")" = 1 ] || fail "more than one alert"
"$E2CTL" nf -s "$dir/ids.ctl" alerts | json "d[0]['sid'], d[0]['sport'], d[0]['end']" >"$dir/alert.txt"
[ "$(cat "$dir/alert.txt")" = "1000001 40001 19" ] || fail "the alerts op says $(cat "$dir/alert.txt")"
[ "$(nfstat ids "d['nf']['signals_sent'], d['nf']['conns_alerted']")" = "1 1" ] || fail "not one signal"
[ "$(count unsafe)" -ge 1 ] || fail "no packet of the attack was tagged unsafe"
fw_before=$(nfstat fw "d['nf']['blocked']")
touch "$dir/go1" # the client sends three more lines on the blocked flow
wait $attack || fail "the attacking client failed: $(cat "$dir/attack.err")"
wait_ge "nfstat fw \"d['nf']['blocked']\"" $((fw_before + 3)) 30
[ "$(served tcp 40001)" = 36 ] || fail "the server got $(served tcp 40001) bytes after the block"
echo "  the server got 36 bytes; the firewall dropped $(nfstat fw "d['nf']['blocked']") packets of the flow since"
client tcp $SERVER 8080 40002 "$dir/go2" "another connection\n" >/dev/null || fail "a new connection failed"
wait_eq "served tcp 40002" 19 30
echo "  a new connection from port 40002 works"

echo "== 3. UDP"
client udp $SERVER 5353 40003 "$dir/go3" "..hello" "..\x07badness" go "..hello again" >/dev/null &
udp=$!
wait_eq "nfstat fw \"d['nf']['blocks']['added']\"" 2 30
fw_before=$(nfstat fw "d['nf']['blocked']")
touch "$dir/go3"
wait $udp || fail "the UDP client failed"
wait_ge "nfstat fw \"d['nf']['blocked']\"" $((fw_before + 1)) 30
[ "$(served udp 40003)" = 2 ] || fail "the server got $(served udp 40003) datagrams of flow 40003, not 2"
client udp $SERVER 5353 40004 "$dir/go4" "..hello" >/dev/null || fail "the second UDP client failed"
wait_eq "served udp 40004" 1 30
[ "$(nfstat ids "d['nf']['datagram_alerts'], d['nf']['signals_sent']")" = "1 2" ] ||
  fail "IDS (datagram alerts, signals) = $(nfstat ids "d['nf']['datagram_alerts'], d['nf']['signals_sent']")"
echo "  the datagram with the signature arrived and blocked its flow; the next did not; flow 40004 works"

echo "== 4. a bad rule file is refused on reload"
echo 'alert tcp any any -> any 80 (content:"x"; depth:0; sid:5;)' >>"$dir/ids.rules"
if out=$("$E2CTL" nf -s "$dir/ids.ctl" reload 2>&1); then fail "a bad rule file was taken: $out"; fi
[[ $out == *"ids.rules:4: "* ]] || fail "the refusal does not name the line: $out"
[ "$(nfstat ids "d['nf']['rules']")" = 2 ] || fail "the rules did not stay"
echo "  refused: $out"
echo "PASS"
