#!/usr/bin/env bash
# The traffic normalizer (e2nf-normalizer) on one core, with its default
# rules and a TTL floor, over 10,000 flows of 64-byte UDP frames (all pass:
# the cost of checking every rule). Against nftables in a routed namespace
# dropping the same bad TCP flag combinations and raising TTLs below 32 in
# its forward hook, on the same traffic.
#
# Usage: bench/nfs/normalizer.sh [--quick] [BUILD_DIR]      (root, hugepages)
source "$(dirname "$0")/lib.sh"
native_mpps norm "in, out" "$SRC -> VPort(nf=norm, port=in); VPort(nf=norm, port=out) -> Sink();" \
  "$build/nfs/normalizer/e2nf-normalizer" --ttl-min 32
ours=$MPPS cpp=$CPP
passed=$(jfield "d['nf']['passed']" <<<"$NF_STATS")
[ "$passed" -gt 0 ] || { echo "the normalizer passed nothing: $NF_STATS" >&2; exit 1; }
cat >"$BDIR/norm.nft" <<'NFT'
table inet norm {
  chain forward {
    type filter hook forward priority 0; policy accept;
    tcp flags & (fin|syn|rst|psh|ack|urg) == 0x0 drop
    tcp flags & (fin|psh|urg) == fin|psh|urg drop
    tcp flags & (syn|fin) == syn|fin drop
    tcp flags & (syn|rst) == syn|rst drop
    tcp flags & (fin|ack) == fin drop
    tcp flags & (psh|ack) == psh drop
    tcp flags & (urg|ack) == urg drop
    ip ttl < 32 ip ttl set 32
  }
}
NFT
linux_mpps normref ". $top/bench/nfs/lib_route.sh; nft -f $BDIR/norm.nft"
result normalizer_native_mpps "$ours" Mpps
result normalizer_native_cycles_per_packet "$cpp" cycles
result normalizer_linux_nft_mpps "$MPPS" Mpps
ratio normalizer_native_vs_linux_nft "$ours" "$MPPS" Mpps
