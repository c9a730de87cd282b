#!/usr/bin/env bash
# The e2d benchmarks in one run (see docs/benchmarks.md):
#   1. e2d PortInc(net_null) -> PortOut(net_null) both ways, against
#      dpdk-testpmd io-forward on the same two vdevs; runs alternate and the
#      median of each is compared. Alternating with them, the same e2d with
#      NSHEncap -> NSHDecap on each way (one NSH hop, both ends: docs/nsh.md).
#   2. bench_engine: Bypass cost per packet, worker-loop cost per task run
#      (1, 8, 64 tasks), FlowHash rule updates in-process, the NSH round trip
#      with and without metadata, FlowHash hash="ovs" against crc32c.
#   3. bench_rules: FlowHash rule updates over a live e2d's control socket.
# Pinning: every forwarding loop (testpmd's and e2d's worker) runs alone on
# the last CPU this process may use; control threads share the first.
#
# Usage: bench/e2d/run.sh [--quick] [BUILD_DIR]      (as root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-$top/build}
E2D=$build/e2d/e2d
E2CTL=$build/e2ctl/e2ctl
ENGINE=$build/bench/e2d/bench_engine
RULES=$build/bench/e2d/bench_rules
for b in "$E2D" "$E2CTL" "$ENGINE" "$RULES"; do
  [ -x "$b" ] || { echo "run.sh: $b not built (cmake --build $build)" >&2; exit 1; }
done
command -v dpdk-testpmd >/dev/null || { echo "run.sh: dpdk-testpmd missing (scripts/deps.sh)" >&2; exit 1; }

cpus=($(python3 -c "import os; print(' '.join(map(str, sorted(os.sched_getaffinity(0)))))"))
ctl=${cpus[0]} fwd=${cpus[-1]}
reps=3 secs=6
[ "$quick" -eq 1 ] && reps=1 secs=3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
results=()

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Mpps through both ports of testpmd, median of its per-second samples after the first two.
testpmd_run() {
  { timeout $((secs + 4)) dpdk-testpmd --lcores "0@$ctl,1@$fwd" --no-huge --no-pci -m 1024 --file-prefix "e2b$$" \
      --vdev=net_null0,copy=0 --vdev=net_null1,copy=0 -- --forward-mode=io --nb-cores=1 --stats-period 1 \
      --auto-start </dev/null 2>/dev/null || true; } |
    awk '/Rx-pps:/ {s += $2; n++; if (n % 2 == 0) {print s / 1e6; s = 0}}' | tail -n +3 | median
}

# Mpps through both ports of e2d, median of its per-second samples after the first;
# e2d_run "MODULE -> ... ->" puts those modules on each way.
e2d_run() {
  cat >"$dir/fwd.conf" <<CONF
port p0(vdev="net_null0,copy=0");
port p1(vdev="net_null1,copy=0");
PortInc(port=p0) -> ${1:-} PortOut(port=p1);
PortInc(port=p1) -> ${1:-} PortOut(port=p0);
CONF
  "$E2D" --no-huge --cpus "$ctl,$fwd" -m 1024 -n "e2b$$" -s none -c "$dir/fwd.conf" --stats-period 1 \
    --duration "$secs" 2>/dev/null |
    awk '/^  portout/ && $3 ~ /\./ {s += $3; n++; if (n % 2 == 0) {print s; s = 0}}' | tail -n +2 | median
}

nsh_hop='NSHEncap(spi=5, dst_mac="02:e2:00:00:00:11", src_mac="02:e2:00:00:00:10") -> NSHDecap(spis=[{spi=5, gate=0}]) ->'
echo "# 1. io forwarding on net_null, forwarding loop on CPU $fwd"
tp=() e2=() nsh=()
for ((r = 0; r < reps; r++)); do
  tp+=("$(testpmd_run)")
  e2+=("$(e2d_run)")
  nsh+=("$(e2d_run "$nsh_hop")")
  echo "  run $r: testpmd ${tp[-1]} Mpps, e2d ${e2[-1]} Mpps, e2d with an NSH hop ${nsh[-1]} Mpps"
done
tpm=$(printf '%s\n' "${tp[@]}" | median)
e2m=$(printf '%s\n' "${e2[@]}" | median)
nshm=$(printf '%s\n' "${nsh[@]}" | median)
results+=("RESULT testpmd_io_mpps $tpm Mpps"
          "RESULT e2d_io_mpps $e2m Mpps"
          "RATIO e2d_vs_testpmd $(awk -v a="$e2m" -v b="$tpm" 'BEGIN {printf "%.3f", a / b}') ($e2m vs $tpm Mpps, both ports)"
          "RESULT e2d_nsh_hop_io_mpps $nshm Mpps"
          "RATIO nsh_roundtrip_vs_plain_forward $(awk -v a="$nshm" -v b="$e2m" 'BEGIN {printf "%.3f", a / b}') ($nshm vs $e2m Mpps, both ports)")

echo "# 2. engine costs"
q=()
[ "$quick" -eq 1 ] && q=(--quick)
taskset -c "$ctl,$fwd" "$ENGINE" "${q[@]}" | tee "$dir/engine.out" | grep -v -E '^(RESULT|RATIO)'
mapfile -t eng < <(grep -E '^(RESULT|RATIO)' "$dir/engine.out")
results+=("${eng[@]}")
results+=("$(awk -v e="$e2m" -v n="$nshm" '/^# TSC/ {g = $3} END {
  printf "RESULT nsh_roundtrip_extra_cycles_per_packet %.1f cycles (%.1f vs %.1f cycles/packet at %s GHz)", g * 1000 / n - g * 1000 / e, g * 1000 / n, g * 1000 / e, g}' "$dir/engine.out")")

echo "# 3. rule updates over the control socket of a running e2d (a worker forwarding meanwhile)"
cat >"$dir/rules.conf" <<CONF
src :: Source(templates=[{src_ip="10.0.0.0/16"}], rate=1M) -> fh :: FlowHash(bits=16, ranges=[{lo=0, hi=32768, gate=0}]);
fh[0] -> Sink(); fh[1] -> Sink();
CONF
"$E2D" --no-huge --cpus "$ctl,$fwd" -m 512 -n "e2r$$" -s "$dir/rules.sock" -c "$dir/rules.conf" >"$dir/rules.log" 2>&1 &
for ((i = 0; i < 100; i++)); do "$E2CTL" dp -s "$dir/rules.sock" status >/dev/null 2>&1 && break; sleep 0.1; done
n=2000
[ "$quick" -eq 1 ] && n=200
mapfile -t rules < <("$RULES" -s "$dir/rules.sock" -m fh -n "$n")
"$E2CTL" dp -s "$dir/rules.sock" quit >/dev/null
wait
results+=("${rules[@]}")

echo "# results"
printf '%s\n' "${results[@]}"
