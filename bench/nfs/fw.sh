#!/usr/bin/env bash
# The stateful firewall (e2nf-fw) against nftables with conntrack in a
# routed namespace: the same 100 rules in both (the first accepts
# ESTABLISHED/RELATED, 98 never match, the 100th accepts the traffic, the
# policy drops), 64-byte UDP frames over 10,000 flows, one core each. Every
# packet is tracked; the flows are one-way, so each stays NEW and is judged
# against the rules on every packet (e2nf-fw from its verdict cache,
# nftables by walking its chain). Then traffic the rules drop: no
# connection is made, so every packet goes through the classifier, rte_acl
# (what e2nf-fw uses from 8 rules on) and, for comparison, the scan.
#
# Usage: bench/nfs/fw.sh [--quick] [BUILD_DIR]      (root, hugepages)
source "$(dirname "$0")/lib.sh"
command -v nft >/dev/null || { echo "SKIP: nft missing (scripts/deps.sh installs nftables)"; exit 0; }

# 98 rules no benchmark packet matches (TCP ports, other sources and
# destinations), written for both: iptables syntax to fd 3, nft to fd 4.
filler() {
  for ((i = 1; i <= 98; i++)); do
    case $((i % 3)) in
      0) s=172.16.$i.0/24 port=$((1000 + i))
         echo "-A FORWARD -p tcp -s $s --dport $port -j ACCEPT" >&3
         echo "    ip saddr $s tcp dport $port accept" >&4 ;;
      1) s=192.168.$i.0/24 port=$((6000 + i))
         echo "-A FORWARD -p udp -s $s -d 10.1.0.0/16 --dport $port -j ACCEPT" >&3
         echo "    ip saddr $s ip daddr 10.1.0.0/16 udp dport $port accept" >&4 ;;
      2) d=10.$((100 + i)).0.0/16
         echo "-A FORWARD -p udp -d $d --sport 1000:1009 -j DROP" >&3
         echo "    ip daddr $d udp sport 1000-1009 drop" >&4 ;;
    esac
  done
}
filler 3>"$BDIR/filler.rules" 4>"$BDIR/filler.nft"
{
  echo "-P FORWARD DROP"
  echo "-A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT"
  cat "$BDIR/filler.rules"
  echo "-A FORWARD -p udp -s 10.0.0.0/16 -d 10.1.0.0/16 --dport 5000:5009 -m state --state NEW,ESTABLISHED -j ACCEPT"
} >"$BDIR/fw.rules"
{
  echo "table ip e2fw {"
  echo "  chain forward {"
  echo "    type filter hook forward priority 0; policy drop;"
  echo "    ct state established,related accept"
  cat "$BDIR/filler.nft"
  echo "    ip saddr 10.0.0.0/16 ip daddr 10.1.0.0/16 udp dport 5000-5009 ct state new,established accept"
  echo "  }"
  echo "}"
} >"$BDIR/fw.nft"
[ "$(grep -c '^-A' "$BDIR/fw.rules")" = 100 ] || { echo "the rule set is not 100 rules" >&2; exit 1; }

wiring="$SRC -> VPort(nf=fw, port=in); VPort(nf=fw, port=safe) -> Sink(); VPort(nf=fw, port=unsafe) -> Sink();"
native_mpps fw "in, safe, unsafe" "$wiring" "$build/nfs/fw/e2nf-fw" -c "$BDIR/fw.rules"
ours=$MPPS cpp=$CPP
check=$(jfield "d['nf']['classifier'], d['nf']['unsafe'], d['nf']['conns']['active']" <<<"$NF_STATS")
[ "$check" = "acl 0 $FLOWS" ] || { echo "unexpected (classifier, unsafe, connections): $check" >&2; exit 1; }

# the same rules, traffic they drop (sources outside 10.0.0.0/16): the classifier for every
# packet, rte_acl and then the scan of 100 rules
denied=${TEMPLATE//10.0.0.0-10.0.3.231/10.2.0.0-10.2.3.231}
TEMPLATE=$denied native_mpps fw "in, safe, unsafe" "$wiring" "$build/nfs/fw/e2nf-fw" -c "$BDIR/fw.rules"
acl=$MPPS acl_cpp=$CPP
check=$(jfield "d['nf']['safe'], d['nf']['conns']['active'], d['nf']['cache_hits']" <<<"$NF_STATS")
[ "$check" = "0 0 0" ] || { echo "unexpected (safe, connections, cache hits) when denied: $check" >&2; exit 1; }
TEMPLATE=$denied native_mpps fw "in, safe, unsafe" "$wiring" "$build/nfs/fw/e2nf-fw" -c "$BDIR/fw.rules" \
  --acl-min-rules 0
scan=$MPPS
[ "$(jfield "d['nf']['classifier']" <<<"$NF_STATS")" = scan ] || { echo "not scanned" >&2; exit 1; }

linux_mpps fwref ". $top/bench/nfs/lib_route.sh; nft -f $BDIR/fw.nft"
result fw_native_mpps "$ours" Mpps
result fw_native_cycles_per_packet "$cpp" cycles
result fw_native_denied_acl_mpps "$acl" Mpps
result fw_native_denied_acl_cycles_per_packet "$acl_cpp" cycles
result fw_native_denied_scan_mpps "$scan" Mpps
result fw_linux_mpps "$MPPS" Mpps
ratio fw_native_vs_linux "$ours" "$MPPS" Mpps
ratio fw_acl_vs_scan "$acl" "$scan" Mpps
