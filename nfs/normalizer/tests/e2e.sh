#!/usr/bin/env bash
# e2nf-normalizer end to end: crafted frames (craft.py: good TCP, every bad
# flag combination, a low TTL, IP options, the reserved flag, a fragmented
# datagram with a duplicate, an overlap with different data, impossible
# fragments, malformed frames, ARP) enter e2d from a pcap file through a
# net_pcap port, cross the normalizer and leave through the same port into
# another pcap file. What comes out must be exactly the frames craft.py
# expects (dropped ones missing, rewritten ones as rebuilt there), and the
# NF's counters must match one for one.
# Usage: e2e.sh E2D E2CTL E2NF-NORMALIZER      (root, hugepages)
set -euo pipefail
E2D=$1 E2CTL=$2 NORM=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../tests/integration/lib.sh"
require_root_hugepages

nf_test_begin
ctl=$dir/norm.ctl
fail() {
  echo "FAIL: $*" >&2
  cat "$dir/norm.err" >&2 || true
  exit 1
}

python3 "$here/craft.py" "$dir/in.pcap" "$dir/expect.json"
# The pcap port exists before the NF attaches (DPDK would ask the NF's process
# to attach a port added later, and a secondary cannot open the capture
# files); nothing reads it until the PortInc below is created.
cat >"$dir/e2d.conf" <<CONF
nf norm(ports=[in, out], ring_size=1024);
port pc(vdev="net_pcap0,rx_pcap=$dir/in.pcap,tx_pcap=$dir/out.pcap");
CONF
start_e2d "e2norm$$" "$dir/e2d.conf"
"$NORM" -n norm -s "$sock" --ttl-min 32 --ctl "$ctl" >"$dir/norm.out" 2>"$dir/norm.err" &
wait_for 10 test -S "$ctl" || fail "the normalizer did not start"

echo "== crafted frames from a pcap, through the normalizer, into a pcap"
n_in=$(json "d['in']" <"$dir/expect.json")
cat >"$dir/pcap.conf" <<CONF
PortInc(port=pc) -> VPort(nf=norm, port=in);
VPort(nf=norm, port=out) -> PortOut(port=pc);
CONF
"$E2CTL" dp -s "$sock" load "$dir/pcap.conf" >/dev/null || fail "cannot connect the pcap port"
for ((i = 0; i < 100; i++)); do
  seen=$("$E2CTL" nf -s "$ctl" stats | json "d['ports']['in']['rx']")
  [ "$seen" -ge "$n_in" ] && break
  sleep 0.1
done
[ "$seen" -eq "$n_in" ] || fail "the normalizer received $seen of $n_in frames"
sleep 0.5 # e2d writes what the NF sent
"$E2CTL" nf -s "$ctl" stats >"$dir/stats.json"
"$E2CTL" dp -s "$sock" quit >/dev/null # closes the pcap file
sleep 0.5
python3 "$here/craft.py" --check "$dir/out.pcap" "$dir/expect.json" "$dir/stats.json" ||
  fail "the frames or the counters differ"
echo "PASS"
