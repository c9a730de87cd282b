#!/usr/bin/env bash
# Bring a legacy (unmodified Linux) NF into an E2 chain.
#
# A legacy NF lives in its own network namespace between two interfaces,
# "in" and "out". Each is one end of a veth pair whose other end stays with
# e2d, which drives it as a port (AF_PACKET, or AF_XDP with --xdp). By
# default the namespace bridges in and out without MAC learning (a frame
# entering one leaves by the other, whichever direction of a conversation
# it belongs to), so the NF is a transparent bump in the wire that nftables
# (bridge family) or any packet socket program can filter; --routed leaves
# the interfaces unbridged for NFs that route or proxy (give them addresses
# yourself). Transmit checksum offload is off inside, so what the NF itself
# sends (a proxy's TCP, a reset) leaves with full checksums: e2d's packet
# sockets would otherwise get frames whose checksum the kernel never finished.
#
#   scripts/legacy-nf.sh up NAME [--routed] [--xdp]   create, print e2d's config lines
#   scripts/legacy-nf.sh down NAME                     stop what runs inside, remove everything
#   ip netns exec e2nf-NAME COMMAND                    run the NF in its namespace
#
# down ends the processes still in the namespace (SIGTERM, SIGKILL after 5 s
# for those left), so a daemon never outlives its NF in a detached namespace.
#
# NAME is up to 8 characters; e2d's interfaces are NAME-i and NAME-o.
set -euo pipefail
usage() { sed -n '2,23p' "$0"; exit "${1:-0}"; }
[ $# -ge 2 ] || usage 2
cmd=$1 name=$2
shift 2
[ ${#name} -le 8 ] || { echo "legacy-nf.sh: NAME is at most 8 characters" >&2; exit 2; }
ns=e2nf-$name

# End the processes left in namespace $1, by their ids: TERM, then KILL.
stop_inside() {
  local pids i
  mapfile -t pids < <(ip netns pids "$1" 2>/dev/null)
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    mapfile -t pids < <(ip netns pids "$1" 2>/dev/null)
    [ ${#pids[@]} -gt 0 ] || return 0
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}
case "$cmd" in
  up)
    routed=0 pmd=af_packet
    for a in "$@"; do
      case "$a" in
        --routed) routed=1 ;;
        --xdp) pmd=af_xdp ;;
        *) usage 2 ;;
      esac
    done
    ip netns add "$ns"
    ip netns exec "$ns" ip link set lo up
    for side in i o; do
      ip link add "$name-$side" type veth peer name "nf-$side"
      ip link set "nf-$side" netns "$ns"
      ip link set "$name-$side" up
      # only the NF's traffic on these links: no IPv6 chatter from either end
      sysctl -qw "net.ipv6.conf.$name-$side.disable_ipv6=1"
      ip netns exec "$ns" sysctl -qw "net.ipv6.conf.nf-$side.disable_ipv6=1"
    done
    ip netns exec "$ns" ip link set nf-i name in
    ip netns exec "$ns" ip link set nf-o name out
    for side in in out; do
      ip netns exec "$ns" ethtool -K "$side" tx off >/dev/null
      ip netns exec "$ns" ip link set "$side" up
    done
    if [ "$routed" -eq 0 ]; then
      ip netns exec "$ns" ip link add br0 type bridge mcast_snooping 0
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.br0.disable_ipv6=1 2>/dev/null || true
      # No MAC learning: what enters one side leaves by the other, whatever
      # its addresses (both directions of a conversation may enter "in").
      for side in in out; do
        ip netns exec "$ns" ip link set "$side" master br0
        ip netns exec "$ns" ip link set "$side" type bridge_slave learning off
      done
      ip netns exec "$ns" ip link set br0 up
    fi
    if [ "$pmd" = af_xdp ]; then
      vdev_i="net_af_xdp_${name}_i,iface=$name-i,force_copy=1"
      vdev_o="net_af_xdp_${name}_o,iface=$name-o,force_copy=1"
    else
      vdev_i="net_af_packet_${name}_i,iface=$name-i,framecnt=8192"
      vdev_o="net_af_packet_${name}_o,iface=$name-o,framecnt=8192"
    fi
    cat <<CONF
# e2d config for legacy NF '$name' (namespace $ns): send to ${name}_in, receive from ${name}_out
port ${name}_in(vdev="$vdev_i");
port ${name}_out(vdev="$vdev_o");
CONF
    ;;
  down)
    stop_inside "$ns"
    ip link del "$name-i" 2>/dev/null || true
    ip link del "$name-o" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    ;;
  *) usage 2 ;;
esac
