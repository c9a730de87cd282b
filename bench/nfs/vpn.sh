#!/usr/bin/env bash
# The VPN NF encrypting: e2nf-vpn seals every frame of the generator's
# 64-byte UDP traffic over 10,000 flows (10.0.x.x -> 10.1.0.1) into ESP
# tunnel mode with AES-256-GCM (one outbound SA for 10.1.0.0/16), on one
# core, against Linux's xfrm doing the same (rfc4106(gcm(aes)), tunnel mode,
# policy out for 10.1.0.0/16) in a routed namespace.
#
# Linux's reference needs a kernel with ESP (CONFIG_INET_ESP, rfc4106);
# without one the reference cannot run here: the script says so and
# compares the VPN with the forwarding floor (tagfwd, bench/nfs/forward.sh)
# instead, i.e. what the encryption costs.
#
# Usage: bench/nfs/vpn.sh [--quick] [BUILD_DIR]      (root, hugepages)
source "$(dirname "$0")/lib.sh"
key=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fcafe0001
cat >"$BDIR/vpn.conf" <<CONF
sa out spi 0x1001 src 192.0.2.1 dst 192.0.2.2 key $key match 10.1.0.0/16
CONF
native_mpps vpn "in, to_wan, to_lan" \
  "$SRC -> VPort(nf=vpn, port=in); VPort(nf=vpn, port=to_wan) -> Sink(); VPort(nf=vpn, port=to_lan) -> Sink();" \
  "$build/nfs/vpn/e2nf-vpn" -c "$BDIR/vpn.conf"
ours=$MPPS cpp=$CPP
sealed=$(jfield "d['nf']['sas'][0]['packets']" <<<"$NF_STATS")
[ "$sealed" -gt 0 ] || { echo "the NF sealed nothing: $NF_STATS" >&2; exit 1; }
result vpn_native_mpps "$ours" Mpps
result vpn_native_cycles_per_packet "$cpp" cycles

# Does this kernel do ESP with AES-GCM?
probe=e2vpnprobe$$
ip netns add "$probe"
esp=0
ip netns exec "$probe" ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 \
  mode tunnel aead 'rfc4106(gcm(aes))' "$key" 128 2>/dev/null && esp=1
ip netns del "$probe"
if [ "$esp" -eq 1 ]; then
  linux_mpps vpnref ". $top/bench/nfs/lib_route.sh
ip xfrm state add src 192.168.101.1 dst 192.168.101.2 proto esp spi 0x1001 reqid 1 mode tunnel aead 'rfc4106(gcm(aes))' $key 128
ip xfrm policy add dir out src 0.0.0.0/0 dst 10.1.0.0/16 tmpl src 192.168.101.1 dst 192.168.101.2 proto esp reqid 1 mode tunnel"
  result vpn_linux_mpps "$MPPS" Mpps
  ratio vpn_native_vs_linux "$ours" "$MPPS" Mpps
else
  echo "NOTE: this kernel has no ESP with rfc4106(gcm(aes)) (CONFIG_INET_ESP): no Linux reference;"
  echo "NOTE: comparing with the forwarding floor (tagfwd) instead"
  native_mpps fwd "in, out" "$SRC -> VPort(nf=fwd, port=in); VPort(nf=fwd, port=out) -> Sink();" \
    "$build/nfs/tagfwd/e2nf-tagfwd"
  result vpn_forward_floor_mpps "$MPPS" Mpps
  ratio vpn_native_vs_forward "$ours" "$MPPS" Mpps
fi
