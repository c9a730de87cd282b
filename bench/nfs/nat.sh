#!/usr/bin/env bash
# The NAT (e2nf-nat) translating outbound UDP on one core, 64-byte frames
# over 10,000 flows (10,000 internal endpoints: a mapping and a session
# each, made in the first moments and then hit), against Linux masquerading
# the same traffic (nftables "masquerade" in a routed namespace, conntrack).
#
# Usage: bench/nfs/nat.sh [--quick] [BUILD_DIR]      (root, hugepages)
source "$(dirname "$0")/lib.sh"
cat >"$BDIR/nat.conf" <<'CONF'
inside 10.0.0.0/16
public 192.0.2.1 ports 1024-65535
CONF
native_mpps nat "in, out" "$SRC -> VPort(nf=nat, port=in); VPort(nf=nat, port=out) -> Sink();" \
  "$build/nfs/nat/e2nf-nat" -c "$BDIR/nat.conf"
ours=$MPPS cpp=$CPP
made=$(jfield "d['nf']['mappings']['created']['udp'], d['nf']['translated']['out']['udp'], sum(d['nf']['drops'].values())" <<<"$NF_STATS")
echo "nat: (mappings made, packets translated, dropped) = ($made)"
read -r maps translated drops <<<"$(tr -d '(),' <<<"$made")"
[ "$maps" -eq "$FLOWS" ] && [ "$translated" -gt 0 ] && [ "$drops" -eq 0 ] ||
  { echo "nat: expected $FLOWS mappings, translations and no drops" >&2; exit 1; }
cat >"$BDIR/masq.nft" <<'NFT'
table ip e2nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "out" meta l4proto { tcp, udp } masquerade to :1024-65535
  }
}
NFT
linux_mpps natref ". $top/bench/nfs/lib_route.sh; nft -f $BDIR/masq.nft"
result nat_native_mpps "$ours" Mpps
result nat_native_cycles_per_packet "$cpp" cycles
result nat_linux_mpps "$MPPS" Mpps
ratio nat_native_vs_linux "$ours" "$MPPS" Mpps
