#!/usr/bin/env bash
# What NSH costs e2d (docs/nsh.md, docs/benchmarks.md):
#   1. a forwarding e2d on net_null: PortInc -> PortOut against PortInc ->
#      NSHEncap -> NSHDecap -> PortOut (the packets leave as they came);
#      runs alternate and the medians of their per-second rates are compared;
#      the difference in cycles per packet is what encapsulating on one server
#      and decapsulating on the next costs together
#   2. bench_engine nsh: the round trip in-process with and without tags and
#      flow ID, and FlowHash hash="ovs" against hash="crc32c"
# Pinning: e2d's worker alone on the last CPU this process may use.
#
# Usage: bench/nsh/run.sh [--quick] [BUILD_DIR]      (no root needed)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-$top/build}
E2D=$build/e2d/e2d ENGINE=$build/bench/e2d/bench_engine
for b in "$E2D" "$ENGINE"; do
  [ -x "$b" ] || { echo "run.sh: $b not built (cmake --build $build)" >&2; exit 1; }
done
cpus=($(python3 -c "import os; print(' '.join(map(str, sorted(os.sched_getaffinity(0)))))"))
ctl=${cpus[0]} fwd=${cpus[-1]}
reps=3 secs=6
[ "$quick" -eq 1 ] && reps=1 secs=3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# e2d_run MIDDLE: Mpps out of PortOut `out` with MIDDLE between the ports, median of the
# per-second samples after the first.
e2d_run() {
  cat >"$dir/fwd.conf" <<CONF
port p0(vdev="net_null0,copy=0");
port p1(vdev="net_null1,copy=0");
PortInc(port=p0) -> $1 out :: PortOut(port=p1);
CONF
  "$E2D" --no-huge --cpus "$ctl,$fwd" -m 1024 -n "e2n$$" -s none -c "$dir/fwd.conf" --stats-period 1 \
    --duration "$secs" 2>/dev/null | awk '/^  out / && $3 ~ /\./ {print $3}' | tail -n +2 | median
}

nsh='NSHEncap(spi=5, dst_mac="02:e2:00:00:00:11", src_mac="02:e2:00:00:00:10") -> NSHDecap(spis=[{spi=5, gate=0}]) ->'
echo "# 1. e2d forwarding on net_null (64-byte packets), worker on CPU $fwd"
plain=() enc=()
for ((r = 0; r < reps; r++)); do
  plain+=("$(e2d_run "")")
  enc+=("$(e2d_run "$nsh")")
  echo "  run $r: plain ${plain[-1]} Mpps, NSH round trip ${enc[-1]} Mpps"
done
pm=$(printf '%s\n' "${plain[@]}" | median)
em=$(printf '%s\n' "${enc[@]}" | median)
awk -v p="$pm" -v e="$em" 'BEGIN {exit !(p > 0 && e > 0)}' ||
  { echo "run.sh: e2d forwarded nothing (plain '$pm', NSH '$em' Mpps)" >&2; exit 1; }

echo "# 2. in-process costs"
q=()
[ "$quick" -eq 1 ] && q=(--quick)
taskset -c "$fwd" "$ENGINE" "${q[@]}" nsh | tee "$dir/engine.out" | grep -v -E '^(RESULT|RATIO)'
ghz=$(awk '/^# TSC/ {print $3}' "$dir/engine.out")

echo "# results"
echo "RESULT e2d_plain_forward_mpps $pm Mpps"
echo "RESULT e2d_nsh_roundtrip_forward_mpps $em Mpps"
awk -v p="$pm" -v e="$em" -v g="$ghz" 'BEGIN {
  printf "RESULT nsh_roundtrip_extra_cycles_per_packet %.1f cycles (%.1f vs %.1f cycles/packet at %s GHz)\n", g * 1000 / e - g * 1000 / p, g * 1000 / e, g * 1000 / p, g
  printf "RATIO nsh_roundtrip_vs_plain_forward %.3f (%s vs %s Mpps)\n", e / p, e, p }'
grep -E '^(RESULT|RATIO)' "$dir/engine.out"
