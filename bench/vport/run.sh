#!/usr/bin/env bash
# E2 paper Table 1 on one server: NF -> e2d -> NF, native zero-copy vports
# against the same NF logic over raw sockets (legacy), in one run.
#
#   native  e2nf-probe loop: sends stamped packets out of its port "out",
#           e2d's VPort(out) -> VPort(in) brings them back on port "in"
#   legacy  legacy_loop: the same over AF_PACKET sockets on two veth pairs;
#           e2d forwards between the veths' other ends (AF_PACKET PMD)
# Each is measured flat out with up to 1024 packets in flight (Mpps, Gbit/s,
# at 64 and 1500 bytes) and one packet at a time (round-trip latency).
#
# Pinning (2 cores): e2d's worker alone on the last CPU, its control thread
# and the NF on the first; every loop polls, nothing sleeps while measured.
#
# Usage: bench/vport/run.sh [--quick] [BUILD_DIR]      (root, hugepages)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-$top/build}
E2D=$build/e2d/e2d E2CTL=$build/e2ctl/e2ctl PROBE=$build/libe2nf/e2nf-probe LEGACY=$build/bench/vport/legacy_loop
secs=5 pings=200000
[ "$quick" -eq 1 ] && secs=1 pings=20000
cpus=($(python3 -c "import os; print(' '.join(map(str, sorted(os.sched_getaffinity(0)))))"))
ctl=${cpus[0]} fwd=${cpus[-1]}
dir=$(mktemp -d) tag=$$
cleanup() {
  for s in "$dir"/*.sock; do [ -S "$s" ] && "$E2CTL" dp -s "$s" quit >/dev/null 2>&1; done
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  ip link del "vb${tag}a" 2>/dev/null || true
  ip link del "vb${tag}b" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
start_e2d() { # NAME CONF [e2d options]
  local name=$1 conf=$2
  shift 2
  "$E2D" -n "$name" --cpus "$ctl,$fwd" -m 256 --idle-spin 1000000 -s "$dir/$name.sock" -c "$conf" "$@" \
    >"$dir/$name.log" 2>&1 &
  for ((i = 0; i < 100; i++)); do "$E2CTL" dp -s "$dir/$name.sock" status >/dev/null 2>&1 && return; sleep 0.1; done
  cat "$dir/$name.log" >&2
  exit 1
}
stop_e2d() { "$E2CTL" dp -s "$dir/$1.sock" quit >/dev/null; sleep 0.5; }

echo "# native: NF -> VPort -> VPort -> NF"
cat >"$dir/native.conf" <<CONF
nf lp(ports=[out, in]);
VPort(nf=lp, port=out) -> VPort(nf=lp, port=in);
CONF
start_e2d "vn$tag" "$dir/native.conf"
nat64=$(taskset -c "$ctl" "$PROBE" loop -n lp -s "$dir/vn$tag.sock" --cpu "$ctl" -w "$secs")
nat1500=$(taskset -c "$ctl" "$PROBE" loop -n lp -s "$dir/vn$tag.sock" --cpu "$ctl" -w "$secs" -l 1500)
natping=$(taskset -c "$ctl" "$PROBE" loop -n lp -s "$dir/vn$tag.sock" --cpu "$ctl" --pingpong -c "$pings" -w 30)
echo "  64B: $nat64"
echo "  1500B: $nat1500"
echo "  ping-pong: $natping"
stop_e2d "vn$tag"

echo "# legacy: raw socket -> veth -> e2d (AF_PACKET) -> veth -> raw socket"
for x in a b; do
  ip link add "vb$tag$x" type veth peer name "vd$tag$x"
  for i in "vb$tag$x" "vd$tag$x"; do
    sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
    ip link set "$i" up
  done
done
cat >"$dir/legacy.conf" <<CONF
port a(vdev="net_af_packet_vb${tag}a,iface=vd${tag}a,framecnt=8192");
port b(vdev="net_af_packet_vb${tag}b,iface=vd${tag}b,framecnt=8192");
PortInc(port=a) -> PortOut(port=b);
CONF
start_e2d "vl$tag" "$dir/legacy.conf" --no-huge
leg64=$(taskset -c "$ctl" "$LEGACY" -o "vb${tag}a" -i "vb${tag}b" -w "$secs")
leg1500=$(taskset -c "$ctl" "$LEGACY" -o "vb${tag}a" -i "vb${tag}b" -w "$secs" -l 1500)
legping=$(taskset -c "$ctl" "$LEGACY" -o "vb${tag}a" -i "vb${tag}b" --pingpong -c "$pings" -w 30)
echo "  64B: $leg64"
echo "  1500B: $leg1500"
echo "  ping-pong: $legping"
stop_e2d "vl$tag"

n64=$(field "d['mpps']" <<<"$nat64") l64=$(field "d['mpps']" <<<"$leg64")
n15=$(field "d['gbps']" <<<"$nat1500") l15=$(field "d['gbps']" <<<"$leg1500")
np50=$(field "d['latency_ns']['p50']" <<<"$natping") np99=$(field "d['latency_ns']['p99']" <<<"$natping")
lp50=$(field "d['latency_ns']['p50']" <<<"$legping") lp99=$(field "d['latency_ns']['p99']" <<<"$legping")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
echo "# results"
echo "RESULT native_mpps_64 $n64 Mpps"
echo "RESULT legacy_mpps_64 $l64 Mpps"
echo "RATIO native_vs_legacy_mpps_64 $(ratio "$n64" "$l64") ($n64 vs $l64 Mpps)"
echo "RESULT native_gbps_1500 $n15 Gbit/s"
echo "RESULT legacy_gbps_1500 $l15 Gbit/s"
echo "RATIO native_vs_legacy_gbps_1500 $(ratio "$n15" "$l15") ($n15 vs $l15 Gbit/s)"
echo "RESULT native_latency_p50_ns $np50 ns"
echo "RESULT native_latency_p99_ns $np99 ns"
echo "RESULT legacy_latency_p50_ns $lp50 ns"
echo "RESULT legacy_latency_p99_ns $lp99 ns"
echo "RATIO legacy_vs_native_latency_p50 $(ratio "$lp50" "$np50") ($lp50 vs $np50 ns)"
echo "RATIO native_latency_vs_paper $(ratio "$np50" 1214) ($np50 vs 1214 ns, E2 paper Table 1)"
