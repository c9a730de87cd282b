#!/usr/bin/env bash
# E2 paper Table 2 on one server: steering between NFs by a header field
# against steering by a metadata tag the NF sets, NF -> e2d -> NF.
#
#   header    the NF sends plain packets; e2d's HeaderMatch checks the UDP
#             destination port against a configured value
#   metadata  the NF classifies each packet by a byte of its payload and
#             writes the class into a tag; e2d's MetadataMatch checks the tag
# Both use e2nf-probe loop (one NF sends on "out" and takes back on "in"),
# 64-byte packets, up to 1024 in flight; runs alternate, medians compared.
# Pinning (2 cores): e2d's worker alone on the last CPU, the NF and e2d's
# control thread on the first.
#
# Usage: bench/metadata/run.sh [--quick] [BUILD_DIR]      (root, hugepages)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-$top/build}
E2D=$build/e2d/e2d E2CTL=$build/e2ctl/e2ctl PROBE=$build/libe2nf/e2nf-probe
reps=3 secs=4
[ "$quick" -eq 1 ] && reps=1 secs=1
cpus=($(python3 -c "import os; print(' '.join(map(str, sorted(os.sched_getaffinity(0)))))"))
ctl=${cpus[0]} fwd=${cpus[-1]}
dir=$(mktemp -d) name=md$$ sock=
cleanup() {
  [ -n "$sock" ] && "$E2CTL" dp -s "$sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# run KIND: one loop through e2d steering by KIND; prints Mpps
run() {
  local kind=$1 tagopt=()
  {
    echo 'tag(name="class", slot=0);'
    echo 'nf lp(ports=[out, in]);'
    if [ "$kind" = header ]; then
      echo 'VPort(nf=lp, port=out) -> m :: HeaderMatch(rules=[{dst_port=9, gate=0}]) -> VPort(nf=lp, port=in);'
    else
      echo 'VPort(nf=lp, port=out) -> m :: MetadataMatch(rules=[{tag=class, value=1, gate=0}]) -> VPort(nf=lp, port=in);'
      tagopt=(-t class=1)
    fi
  } >"$dir/$kind.conf"
  sock=$dir/$kind.sock
  "$E2D" -n "$name" --cpus "$ctl,$fwd" -m 256 --idle-spin 1000000 -s "$sock" -c "$dir/$kind.conf" >"$dir/e2d.log" 2>&1 &
  for ((i = 0; i < 100; i++)); do "$E2CTL" dp -s "$sock" status >/dev/null 2>&1 && break; sleep 0.1; done
  taskset -c "$ctl" "$PROBE" loop -n lp -s "$sock" --cpu "$ctl" -w "$secs" "${tagopt[@]}" >"$dir/$kind.json"
  local dropped
  dropped=$("$E2CTL" dp -s "$sock" --json module m | python3 -c "import json,sys; print(json.load(sys.stdin)['dropped'])")
  "$E2CTL" dp -s "$sock" quit >/dev/null
  wait
  sock=
  [ "$dropped" = 0 ] || { echo "bench/metadata: $kind steering dropped $dropped packets: rules do not match" >&2; exit 1; }
  python3 -c "import json,sys; print(json.load(sys.stdin)['mpps'])" <"$dir/$kind.json"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
h=() m=()
for ((r = 0; r < reps; r++)); do
  h+=("$(run header)")
  m+=("$(run metadata)")
  echo "  run $r: header-match ${h[-1]} Mpps, metadata-match ${m[-1]} Mpps"
done
hm=$(printf '%s\n' "${h[@]}" | median)
mm=$(printf '%s\n' "${m[@]}" | median)
echo "# results"
echo "RESULT header_match_mpps $hm Mpps"
echo "RESULT metadata_match_mpps $mm Mpps"
echo "RATIO metadata_vs_header_match_nf $(awk -v a="$mm" -v b="$hm" 'BEGIN {printf "%.3f", a / b}') ($mm vs $hm Mpps; paper 11.96 vs 12.76)"
