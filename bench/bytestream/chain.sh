# bench/bytestream/chain.sh — what the NF-chain benchmarks share (bytestream.sh,
# bench/urltag/urltag.sh). Source it after setting CONNS (connections of the
# trace; --quick makes it 100) and RUNS; it reads "--quick" and an optional
# BUILD_DIR from the script's arguments, writes gen_http.py's web trace of
# CONNS connections to $dir/web.pcap (PKTS packets) and sets:
#   E2D E2CTL NFS build quick     the tools
#   CPU_E2D CPU_NF hz             the first and last CPU; the clock rate
#   dir tag                       a scratch folder, removed on exit with e2d
#                                 and every NF stopped; a unique number
#   start_nf NAME BINARY ARGS...  an NF on e2d $sock, pinned (ON_CPU, default
#                                 CPU_NF), its control socket $dir/NAME.ctl;
#                                 pid[NAME]
#   nfstat NF EXPR / json EXPR / die MESSAGE / median NUMBERS...
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-$top/build}
E2D=$build/e2d/e2d E2CTL=$build/e2ctl/e2ctl NFS=$build/nfs
[ "$quick" -eq 1 ] && CONNS=100 RUNS=1
cpus=($(python3 -c "import os; print(' '.join(map(str, sorted(os.sched_getaffinity(0)))))"))
CPU_E2D=${cpus[0]} CPU_NF=${cpus[-1]}
hz=$(awk '/^cpu MHz/ {print $4 * 1e6; exit}' /proc/cpuinfo)
dir=$(mktemp -d) tag=$$
chain_cleanup() {
  for s in "$dir"/*.sock; do [ -S "$s" ] && "$E2CTL" dp -s "$s" quit >/dev/null 2>&1; done
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap chain_cleanup EXIT
die() {
  echo "$(basename "$0"): $*" >&2
  for c in "$dir"/*.ctl; do [ -S "$c" ] && { echo "== $c" >&2; timeout 5 "$E2CTL" nf -s "$c" stats >&2; }; done
  tail -5 "$dir"/*.err >&2 2>/dev/null || true
  exit 1
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
nfstat() { "$E2CTL" nf -s "$dir/$1.ctl" stats | json "$2"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

declare -A pid
start_nf() { # NAME BINARY ARGS...
  local name=$1 bin=$2 i cpu=${ON_CPU:-$CPU_NF}
  shift 2
  taskset -c "$cpu" "$bin" -n "$name" -s "$sock" --cpu "$cpu" --ctl "$dir/$name.ctl" "$@" \
    >"$dir/$name.out" 2>"$dir/$name.err" &
  pid[$name]=$!
  for ((i = 0; i < 300; i++)); do "$E2CTL" nf -s "$dir/$name.ctl" stats >/dev/null 2>&1 && return; sleep 0.1; done
  die "$name did not start"
}

python3 "$top/bench/bytestream/gen_http.py" "$dir/web.pcap" --conns "$CONNS" >"$dir/gen.txt"
PKTS=$(awk '{print $1}' "$dir/gen.txt")
