#!/usr/bin/env bash
# The network monitor (e2nf-monitor) on one core: every packet parsed,
# looked up in the flow table and counted, over 10,000 flows of 64-byte UDP
# frames (flows stay active: no exports during the run). Linux has no close
# peer, so the reference is the forwarding floor: e2nf-tagfwd measured the
# same way, in the same run.
#
# Usage: bench/nfs/monitor.sh [--quick] [BUILD_DIR]      (root, hugepages)
source "$(dirname "$0")/lib.sh"
native_mpps mon "in, out" "$SRC -> VPort(nf=mon, port=in); VPort(nf=mon, port=out) -> Sink();" \
  "$build/nfs/monitor/e2nf-monitor" --json /dev/null
ours=$MPPS cpp=$CPP
flows=$(jfield "d['nf']['flows_active']" <<<"$NF_STATS")
[ "$flows" -eq "$FLOWS" ] || { echo "the monitor saw $flows flows, not $FLOWS: $NF_STATS" >&2; exit 1; }
native_mpps fwd "in, out" "$SRC -> VPort(nf=fwd, port=in); VPort(nf=fwd, port=out) -> Sink();" \
  "$build/nfs/tagfwd/e2nf-tagfwd"
result monitor_native_mpps "$ours" Mpps
result monitor_native_cycles_per_packet "$cpp" cycles
result monitor_forward_floor_mpps "$MPPS" Mpps
ratio monitor_vs_forward "$ours" "$MPPS" Mpps
