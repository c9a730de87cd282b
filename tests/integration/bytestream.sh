#!/usr/bin/env bash
# Bytestream vports: a producer NF sends interleaved connections of ordered
# stream messages to a slow consumer NF through e2d.
#   1. reliable=true: every byte of every connection arrives, in order and
#      intact; e2d drops nothing; the producer was held back (it waited);
#   2. the same through a plain VPort drops messages (the check can fail).
# Usage: bytestream.sh E2D E2CTL E2NF-BSPROBE      (root, hugepages)
set -euo pipefail
E2D=$1 E2CTL=$2 BSPROBE=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
require_root_hugepages

dir=$(mktemp -d) name=e2bs$$
sock=$dir/e2d.sock
cleanup() {
  "$E2CTL" dp -s "$sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; "$E2CTL" dp -s "$sock" nfs >&2 || true; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
field() { "$E2CTL" dp -s "$sock" --json nfs | json "next(n for n in d if n['name']=='$1')['ports'][0]['$2']"; }

cat >"$dir/e2d.conf" <<CONF
nf g(ports=[bs], ring_size=128); nf s(ports=[bs], ring_size=64);
nf g2(ports=[bs], ring_size=128); nf s2(ports=[bs], ring_size=64);
VPort(nf=g, port=bs, reliable=true) -> VPort(nf=s, port=bs);
VPort(nf=g2, port=bs) -> VPort(nf=s2, port=bs);
CONF
"$E2D" -n "$name" -m 256 -s "$sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$sock" || { cat "$dir/e2d.log"; exit 1; }

echo "== 1. reliable: 20 connections x 200 kB to a slow consumer"
"$BSPROBE" sink -n s -s "$sock" -c 20 -b 200000 -d 1000 -w 90 >"$dir/sink1.json" &
sink=$!
sleep 0.5
"$BSPROBE" gen -n g -s "$sock" -c 20 -b 200000 >"$dir/gen1.json"
wait $sink || fail "the consumer did not get every stream whole: $(cat "$dir/sink1.json")"
echo "  producer: $(cat "$dir/gen1.json")"
echo "  consumer: $(cat "$dir/sink1.json")"
r=$(json "d['bytes'], d['closed'], d['bad_order'], d['corrupt']" <"$dir/sink1.json")
[ "$r" = "4000000 20 0 0" ] || fail "consumer saw (bytes, closed, bad order, corrupt) = $r"
[ "$(field s full_drops)" = 0 ] || fail "e2d dropped messages on the reliable path"
[ "$(json "d['waits']" <"$dir/gen1.json")" -gt 0 ] || fail "the producer was never held back: the test proves nothing"

echo "== 2. the same through a plain VPort loses messages"
"$BSPROBE" sink -n s2 -s "$sock" -c 20 -b 200000 -d 1000 -w 5 >"$dir/sink2.json" &
sink=$!
sleep 0.5
"$BSPROBE" gen -n g2 -s "$sock" -c 20 -b 200000 >"$dir/gen2.json"
wait $sink && fail "a plain VPort delivered everything to a slow consumer: $(cat "$dir/sink2.json")"
drops=$(field s2 full_drops)
[ "$drops" -gt 0 ] || fail "no drops counted on the plain path"
echo "  plain path: $drops messages dropped by e2d, consumer: $(cat "$dir/sink2.json")"
echo "PASS"
