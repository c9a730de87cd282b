#!/usr/bin/env bash
# The main job: set up (dependencies, hugepages, build) and run E2's dataplane
# on a sample pipeline, printing what it does.
#
# Until the cluster lands this is one e2d: a traffic generator, a flow-ID
# splitter, two queues drained under a 3:1 weighted-fair class, latency
# meters and sinks (e2d/examples/demo.conf). It runs for DURATION seconds
# (default 6), printing per-module rates every second, then asks the running
# e2d over its control socket for its scheduler tree and latencies, and
# prints the totals.
#
# Usage (as root, on Debian 12): scripts/demo.sh [--no-deps] [DURATION]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
deps=1
if [ "${1:-}" = "--no-deps" ]; then deps=0; shift; fi
duration=${1:-6}

[ "$deps" -eq 1 ] && "$top/scripts/deps.sh"
echo "== build"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j "$(nproc)" >/dev/null
E2D=$top/build/e2d/e2d
E2CTL=$top/build/e2ctl/e2ctl
sock=$(mktemp -u /tmp/e2d-demo.XXXXXX.sock)

echo "== e2d: the sample pipeline ($top/e2d/examples/demo.conf)"
grep -v '^#' "$top/e2d/examples/demo.conf" | sed '/^$/d; s/^/   /'
echo
"$E2D" -n e2demo -s "$sock" -c "$top/e2d/examples/demo.conf" --stats-period 1 --duration "$duration" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do "$E2CTL" dp -s "$sock" status >/dev/null 2>&1 && break; sleep 0.1; done
sleep $((duration / 2))
{
  echo "== e2ctl dp tcs   (cycles per traffic class: q0 and q1 share 3:1 when they compete)"
  "$E2CTL" dp -s "$sock" tcs
  echo "== e2ctl dp cmd lat0 get   (latency from Timestamp to Latency, through queue q0)"
  "$E2CTL" dp -s "$sock" --json cmd lat0 get
  echo "== e2ctl dp cmd q1 get_status   (occupancy and queueing delay: the overload signal)"
  "$E2CTL" dp -s "$sock" --json cmd q1 get_status
} 2>&1
wait $pid
trap - EXIT
echo "== done: e2d ran the pipeline for ${duration}s (details: docs/e2d.md)"
