#!/usr/bin/env bash
# The rate limiter (e2nf-ratelimiter) on one core, configured far above the
# offered load so every packet is queued, metered and released: its
# per-packet cost. Against Linux HTB doing the same in a routed namespace
# (two classes, strict priority by TOS, rates far above the load), and
# against the forwarding floor (e2nf-tagfwd measured the same way).
# 64-byte UDP frames over 10,000 flows, all on priority 0.
#
# Usage: bench/nfs/ratelimiter.sh [--quick] [BUILD_DIR]      (root, hugepages)
source "$(dirname "$0")/lib.sh"
native_mpps rl "vp0, vp1, out" "$SRC -> VPort(nf=rl, port=vp0); VPort(nf=rl, port=out) -> Sink();" \
  "$build/nfs/ratelimiter/e2nf-ratelimiter" --link "rate 100Gbit" --class "prio0 rate 100Gbit"
ours=$MPPS cpp=$CPP
sent=$(jfield "d['nf']['prio0']['sent']" <<<"$NF_STATS")
[ "$sent" -gt 0 ] || { echo "the rate limiter sent nothing: $NF_STATS" >&2; exit 1; }
native_mpps fwd "in, out" "$SRC -> VPort(nf=fwd, port=in); VPort(nf=fwd, port=out) -> Sink();" \
  "$build/nfs/tagfwd/e2nf-tagfwd"
floor=$MPPS
htb="tc qdisc add dev out root handle 1: htb default 11
tc class add dev out parent 1: classid 1:1 htb rate 100gbit quantum 60000
tc class add dev out parent 1:1 classid 1:10 htb rate 50gbit ceil 100gbit prio 0 quantum 60000
tc class add dev out parent 1:1 classid 1:11 htb rate 50gbit ceil 100gbit prio 1 quantum 60000
tc filter add dev out parent 1: protocol ip u32 match ip tos 0x00 0xff flowid 1:10"
linux_mpps rlref ". $top/bench/nfs/lib_route.sh; $htb"
result ratelimiter_native_mpps "$ours" Mpps
result ratelimiter_native_cycles_per_packet "$cpp" cycles
result ratelimiter_forward_floor_mpps "$floor" Mpps
result ratelimiter_linux_htb_mpps "$MPPS" Mpps
ratio ratelimiter_native_vs_linux_htb "$ours" "$MPPS" Mpps
ratio ratelimiter_native_vs_forward "$ours" "$floor" Mpps
