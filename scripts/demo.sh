#!/usr/bin/env bash
# The main job: set up (dependencies, hugepages, build) and run what E2 has
# today on a sample policy and sample traffic, printing what it does.
#
#   1. policy     e2ctl check: the paper's Fig. 14 policy (NAT, firewall,
#                 proxy) gives every packet exactly one destination
#   2. plan       e2ctl plan: size, place and interconnect its NFs on a
#                 three-server rack (policy/examples/hw.yaml)
#   3. dataplane  one e2d on e2d/examples/demo.conf: a traffic generator, a
#                 flow-ID splitter, two queues under a 3:1 weighted-fair class,
#                 latency meters; per-module rates every second, then the
#                 scheduler tree, latencies and queue state over the socket
#   4. native NF  an NF chain over zero-copy vports: e2nf-probe gen -> the
#                 sample tagfwd NF (tags every packet) -> e2nf-probe sink,
#                 which checks every packet arrived tagged and in order
#
# The cluster (manager, agents, switch) joins these stages as it lands.
# Usage (as root, on Debian 12): scripts/demo.sh [--no-deps] [DURATION]
#   DURATION: seconds for stage 3 (default 6)
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
PROBE=$top/build/libe2nf/e2nf-probe
TAGFWD=$top/build/nfs/tagfwd/e2nf-tagfwd
policy=$top/policy/examples/fig14.e2
hw=$top/policy/examples/hw.yaml
dir=$(mktemp -d /tmp/e2-demo.XXXXXX)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

wait_socket() {
  for _ in $(seq 50); do "$E2CTL" dp -s "$1" status >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "demo: e2d did not open $1" >&2
  return 1
}

echo "== 1. policy: $policy"
grep -v '^//' "$policy" | sed '/^$/d; s/^/   /'
"$E2CTL" check "$policy"

echo "== 2. plan: its NFs on the rack of $hw"
"$E2CTL" plan "$policy" --hw "$hw"

echo "== 3. dataplane: e2d on the sample pipeline ($top/e2d/examples/demo.conf)"
grep -v '^#' "$top/e2d/examples/demo.conf" | sed '/^$/d; s/^/   /'
echo
sock=$dir/demo.sock
"$E2D" -n e2demo -s "$sock" -c "$top/e2d/examples/demo.conf" --stats-period 1 --duration "$duration" &
pids+=($!)
wait_socket "$sock"
sleep $((duration / 2))
echo "== e2ctl dp tcs   (cycles per traffic class: q0 and q1 share 3:1 when they compete)"
"$E2CTL" dp -s "$sock" tcs
echo "== e2ctl dp cmd lat0 get   (latency from Timestamp to Latency, through queue q0)"
"$E2CTL" dp -s "$sock" --json cmd lat0 get
echo "== e2ctl dp cmd q1 get_status   (occupancy and queueing delay: the overload signal)"
"$E2CTL" dp -s "$sock" --json cmd q1 get_status
wait "${pids[-1]}"

echo "== 4. native NF: gen -> tagfwd -> sink over zero-copy vports"
cat >"$dir/chain.conf" <<CONF
tag(name="checked", slot=1);
nf gen(ports=[out]); nf fwd(ports=[in, out]); nf sink(ports=[in]);
VPort(nf=gen, port=out) -> VPort(nf=fwd, port=in);
VPort(nf=fwd, port=out) -> VPort(nf=sink, port=in);
CONF
sed 's/^/   /' "$dir/chain.conf"
sock=$dir/chain.sock
"$E2D" -n e2chain -s "$sock" -c "$dir/chain.conf" >"$dir/chain.log" 2>&1 &
pids+=($!)
wait_socket "$sock" || { cat "$dir/chain.log"; exit 1; }
n=200000
"$PROBE" sink -n sink -s "$sock" -c $n -e checked=7 -w 30 >"$dir/sink.json" &
sink=$!
"$TAGFWD" -n fwd -s "$sock" --tag checked=7 >"$dir/fwd.json" &
fwd=$!
pids+=($fwd)
sleep 0.5
"$PROBE" gen -n gen -s "$sock" -c $n -r 200000 >/dev/null
wait $sink || { echo "demo: the sink did not get $n tagged packets: $(cat "$dir/sink.json")" >&2; exit 1; }
echo "== e2ctl dp nfs"
"$E2CTL" dp -s "$sock" nfs
echo "== sink: $(cat "$dir/sink.json")"
kill $fwd && wait $fwd || true
echo "== fwd detached: $(cat "$dir/fwd.json")"
"$E2CTL" dp -s "$sock" quit >/dev/null
echo "== done: policy checked, planned, pipeline run for ${duration}s, $n packets through a native NF (docs: README.md)"
