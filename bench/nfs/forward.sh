#!/usr/bin/env bash
# The floor under every NF benchmark: a native NF that only forwards
# (e2nf-tagfwd) against Linux forwarding the same traffic between two
# interfaces of a namespace. 64-byte UDP frames over 10,000 flows.
#
# Usage: bench/nfs/forward.sh [--quick] [BUILD_DIR]      (root, hugepages)
source "$(dirname "$0")/lib.sh"
native_mpps fwd "in, out" "$SRC -> VPort(nf=fwd, port=in); VPort(nf=fwd, port=out) -> Sink();" \
  "$build/nfs/tagfwd/e2nf-tagfwd"
ours=$MPPS cpp=$CPP
linux_mpps fwdref ". $top/bench/nfs/lib_route.sh"
result forward_native_mpps "$ours" Mpps
result forward_native_cycles_per_packet "$cpp" cycles
result forward_linux_mpps "$MPPS" Mpps
ratio forward_native_vs_linux "$ours" "$MPPS" Mpps
