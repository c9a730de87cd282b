# bench/nfs/lib.sh — what every NF benchmark in bench/nfs shares. Source it
# from bench/nfs/<nf>.sh after setting nothing; it reads "--quick" and an
# optional BUILD_DIR from the script's arguments.
#
#   native_mpps NAME "PORTS" "WIRING" NF_BIN [NF ARGS...]
#       run NF_BIN as native NF instance NAME (e2d: nf NAME(ports=[PORTS]))
#       with --poll pinned alone on the last CPU; e2d's worker (Source of
#       64-byte frames over FLOWS flows, the NF's outputs into Sinks) on the
#       first. WIRING is the e2d config after the nf line; $SRC names the
#       Source to connect, e.g. "$SRC -> VPort(nf=x, port=in);".
#       Prints the JSON of "e2ctl nf stats" at the end and sets MPPS (the
#       rate at which the NF received packets over SECS seconds) and CPP
#       (cycles per packet: its core's TSC rate / packets per second).
#   linux_mpps NAME SETUP
#       the same traffic through a Linux namespace (scripts/legacy-nf.sh up
#       NAME --routed) where SETUP (a command run inside it) configures the
#       reference NF (nftables, masquerade, xfrm); the namespace's receive
#       processing is steered (RPS) to the last CPU, the one a native NF gets.
#       Sets MPPS to what came out of the namespace's "out" interface.
#   result NAME VALUE UNIT / ratio NAME OURS PEER UNIT — the output lines.
#
# Frames: UDP 10.0.0.0/16-ish sources x ports give FLOWS (default 10000)
# flows towards 10.1.0.1:5000-5009; src MAC/dst MAC fixed. Override
# TEMPLATE to change them.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-$top/build}
E2D=$build/e2d/e2d E2CTL=$build/e2ctl/e2ctl
SECS=5
[ "$quick" -eq 1 ] && SECS=1
FLOWS=${FLOWS:-10000}
cpus=($(python3 -c "import os; print(' '.join(map(str, sorted(os.sched_getaffinity(0)))))"))
CPU_E2D=${cpus[0]} CPU_NF=${cpus[-1]}
BDIR=$(mktemp -d) BTAG=$$
SRC=src
TEMPLATE=${TEMPLATE:-"{src_ip=\"10.0.0.0-10.0.3.231\", dst_ip=\"10.1.0.1\", src_port=\"1000-1009\", dst_port=5000, proto=udp, size=64, dst_mac=\"02:00:00:00:00:02\", src_mac=\"02:00:00:00:00:01\"}"}
bench_cleanup() {
  for s in "$BDIR"/*.sock; do [ -S "$s" ] && "$E2CTL" dp -s "$s" quit >/dev/null 2>&1; done
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  for n in "$BDIR"/*.legacy; do [ -e "$n" ] && "$top/scripts/legacy-nf.sh" down "$(basename "$n" .legacy)"; done
  rm -rf "$BDIR"
}
trap bench_cleanup EXIT
jfield() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
result() { echo "RESULT $1 $2 $3"; }
ratio() { echo "RATIO $1 $(awk -v a="$2" -v b="$3" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}') ($2 vs $3 $4)"; }

bench_e2d() { # NAME CONF [e2d options]
  local name=$1 conf=$2
  shift 2
  "$E2D" -n "$name" --cpus "$CPU_E2D" -m 512 -s "$BDIR/$name.sock" -c "$conf" "$@" >"$BDIR/$name.log" 2>&1 &
  for ((i = 0; i < 100; i++)); do "$E2CTL" dp -s "$BDIR/$name.sock" status >/dev/null 2>&1 && return; sleep 0.1; done
  cat "$BDIR/$name.log" >&2
  exit 1
}

# Packets a module has sent out of its gates so far.
module_out() { "$E2CTL" dp -s "$1" --json module "$2" | jfield "sum(g['pkts'] for g in d['ogates'])"; }
module_in() { "$E2CTL" dp -s "$1" --json module "$2" | jfield "sum(g['pkts'] for g in d['igates'])"; }

native_mpps() { # NAME "PORTS" "WIRING" NF_BIN [ARGS]
  local name=$1 ports=$2 wiring=$3 bin=$4
  shift 4
  local e=nb$BTAG sock=$BDIR/nb$BTAG.sock
  cat >"$BDIR/native.conf" <<CONF
nf $name(ports=[$ports], ring_size=4096);
$SRC :: Source(templates=[$TEMPLATE]);
$wiring
CONF
  bench_e2d "$e" "$BDIR/native.conf"
  taskset -c "$CPU_NF" "$bin" -n "$name" -s "$sock" --poll --cpu "$CPU_NF" --ctl "$BDIR/$name.ctl" "$@" \
    >"$BDIR/$name.out" 2>"$BDIR/$name.err" &
  local pid=$!
  for ((i = 0; i < 100; i++)); do [ -S "$BDIR/$name.ctl" ] && break; sleep 0.1; done
  [ -S "$BDIR/$name.ctl" ] || { cat "$BDIR/$name.err" >&2; exit 1; }
  sleep 1
  local a b
  a=$("$E2CTL" nf -s "$BDIR/$name.ctl" stats | jfield "sum(p['rx'] for p in d['ports'].values())")
  sleep "$SECS"
  NF_STATS=$("$E2CTL" nf -s "$BDIR/$name.ctl" stats)
  b=$(jfield "sum(p['rx'] for p in d['ports'].values())" <<<"$NF_STATS")
  kill "$pid"
  wait "$pid" || true
  "$E2CTL" dp -s "$sock" quit >/dev/null
  sleep 0.5
  local hz
  hz=$(awk '/^cpu MHz/ {print $4 * 1e6; exit}' /proc/cpuinfo)
  MPPS=$(awk -v n=$((b - a)) -v s="$SECS" 'BEGIN {printf "%.3f", n / s / 1e6}')
  CPP=$(awk -v n=$((b - a)) -v s="$SECS" -v hz="$hz" 'BEGIN {printf "%.1f", (n > 0) ? hz * s / n : 0}')
}

linux_mpps() { # NAME SETUP
  local name=$1 setup=$2 e=lb$BTAG
  "$top/scripts/legacy-nf.sh" up "$name" --routed --xdp >"$BDIR/$name.ports"
  touch "$BDIR/$name.legacy"
  ip netns exec "e2nf-$name" sh -c "$setup"
  local mask
  mask=$(printf '%x' $((1 << CPU_NF)))
  ip netns exec "e2nf-$name" sh -c "echo $mask > /sys/class/net/in/queues/rx-0/rps_cpus"
  {
    cat "$BDIR/$name.ports"
    echo "$SRC :: Source(templates=[$TEMPLATE]) -> PortOut(port=${name}_in);"
    echo "PortInc(port=${name}_out) -> out :: Sink();"
  } >"$BDIR/linux.conf"
  bench_e2d "$e" "$BDIR/linux.conf"
  sleep 1
  local a b
  a=$(module_in "$BDIR/$e.sock" out)
  sleep "$SECS"
  b=$(module_in "$BDIR/$e.sock" out)
  "$E2CTL" dp -s "$BDIR/$e.sock" quit >/dev/null
  sleep 0.5
  "$top/scripts/legacy-nf.sh" down "$name"
  rm -f "$BDIR/$name.legacy"
  MPPS=$(awk -v n=$((b - a)) -v s="$SECS" 'BEGIN {printf "%.3f", n / s / 1e6}')
}
