#!/usr/bin/env bash
# Native NFs through e2d, end to end: three NF processes (a generator, the
# sample tagfwd NF, a checking sink) attached to one e2d.
#   1. every packet crosses gen -> e2d -> fwd -> e2d -> sink in order, tagged;
#   2. killing fwd mid-stream leaves e2d and the other NFs running, the
#      failure is reported and the loss counted; a restarted fwd re-attaches
#      and traffic flows again;
#   3. wrong names, a second process for the same NF and ABI mismatches get
#      clear errors;
#   4. signals travel NF -> NF and NF -> e2.
# Usage: nf_chain.sh E2D E2CTL E2NF-PROBE E2NF-TAGFWD      (root, hugepages)
set -euo pipefail
E2D=$1 E2CTL=$2 PROBE=$3 TAGFWD=$4
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
require_root_hugepages

dir=$(mktemp -d) name=e2nf$$
sock=$dir/e2d.sock
cleanup() {
  "$E2CTL" dp -s "$sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; "$E2CTL" dp -s "$sock" nfs >&2 || true; "$E2CTL" dp -s "$sock" events >&2 || true; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
nf_field() { "$E2CTL" dp -s "$sock" --json nfs | json "next(n for n in d if n['name']=='$1')$2"; }

cat >"$dir/e2d.conf" <<CONF
tag(name="checked", slot=1);
nf gen(ports=[out], ring_size=16384); nf fwd(ports=[in, out], ring_size=16384); nf sink(ports=[in], ring_size=16384);
nf ids(ports=[in]); nf fw(ports=[in]);
VPort(nf=gen, port=out) -> VPort(nf=fwd, port=in);
VPort(nf=fwd, port=out) -> VPort(nf=sink, port=in);
CONF
"$E2D" -n "$name" -m 256 -s "$sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$sock" || { cat "$dir/e2d.log"; exit 1; }

echo "== 1. gen -> fwd -> sink: every packet, in order, tagged by fwd"
N=50000
"$PROBE" sink -n sink -s "$sock" -c $N -e checked=7 -w 60 >"$dir/sink1.json" &
sink=$!
"$TAGFWD" -n fwd -s "$sock" --tag checked=7 --ctl "$dir/fwd.ctl" >"$dir/fwd1.json" &
fwd=$!
sleep 0.5
"$PROBE" gen -n gen -s "$sock" -c $N -r 100000 >"$dir/gen1.json"
wait $sink || fail "sink did not get all $N packets tagged: $(cat "$dir/sink1.json")"
r=$(json "d['received'], d['wrong_tag'], d['out_of_order'], d['duplicates']" <"$dir/sink1.json")
[ "$r" = "$N 0 0 0" ] || fail "sink saw (received, wrong tag, out of order, duplicates) = $r"
echo "  sink: $(cat "$dir/sink1.json")"
r=$("$E2CTL" nf -s "$dir/fwd.ctl" stats | json "d['ports']['in']['rx'], d['ports']['out']['tx'], d['nf']['tagged']")
[ "$r" = "$N $N $N" ] || fail "fwd's control socket says (rx, tx, tagged) = $r"
out=$("$E2CTL" nf -s "$dir/fwd.ctl" bogus 2>&1) && fail "an unknown NF operation was accepted"
echo "$out" | grep -q "no operation 'bogus'" || fail "unclear refusal: $out"
echo "  fwd's control socket: stats agree; unknown operations refused"

echo "== 2. kill fwd mid-stream, then restart it"
"$PROBE" sink -n sink -s "$sock" -c 0 -w 8 >"$dir/sink2.json" &
sink=$!
"$PROBE" gen -n gen -s "$sock" -c 0 -r 20000 >"$dir/gen2.json" &
gen=$!
sleep 1.5
kill -9 $fwd
wait $fwd 2>/dev/null || true
sleep 1
"$E2CTL" dp -s "$sock" status >/dev/null || fail "e2d died with the NF"
[ "$(nf_field fwd "['state']")" = failed ] || fail "fwd's failure was not noticed"
"$E2CTL" dp -s "$sock" events | grep -q "fwd.*failed" || fail "no failure event for fwd"
down1=$(nf_field fwd "['ports'][0]['down_drops']")
sent1=$(nf_field gen "['ports'][0]['returned']")
sleep 0.5
down2=$(nf_field fwd "['ports'][0]['down_drops']")
sent2=$(nf_field gen "['ports'][0]['returned']")
[ "$sent2" -gt "$sent1" ] || fail "gen stopped with fwd ($sent1 -> $sent2)"
[ "$down2" -gt "$down1" ] || fail "packets for the dead fwd are not counted ($down1 -> $down2)"
echo "  fwd failed: e2d and gen go on; packets for fwd dropped and counted ($down2 so far)"
got1=$(nf_field sink "['ports'][0]['delivered']")
"$TAGFWD" -n fwd -s "$sock" --tag checked=7 >"$dir/fwd2.json" &
fwd=$!
sleep 1.5
[ "$(nf_field fwd "['state']")" = running ] || fail "restarted fwd did not re-attach"
[ "$(nf_field fwd "['attaches']")" = 2 ] || fail "fwd attaches != 2"
got2=$(nf_field sink "['ports'][0]['delivered']")
[ "$got2" -gt "$got1" ] || fail "no traffic through the restarted fwd ($got1 -> $got2)"
echo "  fwd restarted and re-attached; sink receives again ($got1 -> $got2)"
kill -INT $gen
wait $gen || true
wait $sink || true

echo "== 3. errors"
out=$("$TAGFWD" -n nope -s "$sock" 2>&1) && fail "attaching as an unknown NF worked"
grep -q "no NF named 'nope'" <<<"$out" || fail "unknown NF: $out"
out=$("$TAGFWD" -n fwd -s "$sock" 2>&1) && fail "a second process attached as fwd"
grep -q "is already attached by pid $fwd" <<<"$out" || fail "double attach: $out"
out=$("$E2CTL" dp -s "$sock" raw '{"op":"nf_attach","name":"fw","abi":999,"pid":1}' 2>&1) && fail "ABI 999 accepted"
grep -q "speaks ABI 999, this e2d speaks" <<<"$out" || fail "ABI mismatch: $out"
echo "  unknown name, double attach and ABI mismatch are refused with reasons"

echo "== 4. signals"
"$PROBE" inbox -n fw -s "$sock" -w 10 >"$dir/inbox.json" &
inbox=$!
sleep 0.5
"$PROBE" signal -n ids -s "$sock" -T fw -y 1 -m "block 10.0.0.1" >/dev/null
wait $inbox || fail "fw got no signal: $(cat "$dir/inbox.json")"
[ "$(json "d['from'], d['type'], d['text']" <"$dir/inbox.json")" = "ids 1 block 10.0.0.1" ] ||
  fail "signal garbled: $(cat "$dir/inbox.json")"
"$PROBE" signal -n ids -s "$sock" -T e2 -y 9 -m hello >/dev/null
sleep 0.3
"$E2CTL" dp -s "$sock" events | grep -q "ids *signal *type 9" || fail "no signal event at e2"
echo "  ids -> fw and ids -> e2 signals arrive"
kill -INT $fwd
wait $fwd || true
echo "PASS"
