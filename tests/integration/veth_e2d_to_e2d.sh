#!/usr/bin/env bash
# Two e2d instances in two network namespaces joined by a veth pair: the
# first generates N packets out of an AF_PACKET (and, where the kernel
# allows, AF_XDP) port; the second receives them on its own port and counts
# them. Every packet must arrive, and nothing else.
#
# Usage: veth_e2d_to_e2d.sh E2D E2CTL [af_packet|af_xdp]
set -euo pipefail
E2D=$1 E2CTL=$2 PMD=${3:-af_packet}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
require_root_netns

tag=e2it$$
na=${tag}a nb=${tag}b dir=$(mktemp -d)
cleanup() {
  for s in "$dir"/a.sock "$dir"/b.sock; do "$E2CTL" dp -s "$s" quit >/dev/null 2>&1 || true; done
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$na" 2>/dev/null || true
  ip netns del "$nb" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$na"
ip netns add "$nb"
veth_between va vb "$na" "$nb"

# A shared 2-core machine may not run the receiver for tens of milliseconds:
# give the kernel side of each port a deep ring and keep the rate modest.
N=12000
case "$PMD" in
  af_packet)
    vdev_a="net_af_packet0,iface=va,framecnt=8192"
    vdev_b="net_af_packet1,iface=vb,framecnt=8192" ;;
  af_xdp)
    ip netns exec "$na" ip link set va xdpgeneric off 2>/dev/null || true
    vdev_a="net_af_xdp0,iface=va,start_queue=0,queue_count=1,force_copy=1"
    vdev_b="net_af_xdp1,iface=vb,start_queue=0,queue_count=1,force_copy=1" ;;
  *) echo "unknown PMD $PMD" >&2; exit 2 ;;
esac

cat > "$dir/b.conf" <<CONF
port rx(vdev="$vdev_b");
PortInc(port=rx) -> c :: Counter() -> s :: Sink();
CONF
cat > "$dir/a.conf" <<CONF
port tx(vdev="$vdev_a");
src :: Source(limit=$N, rate=20k, templates=[{src_ip="10.1.0.0/24", dst_ip="10.2.0.1", dst_port="1000-1049",
                                               size=[64, 512, 1500]}]);
src -> out :: PortOut(port=tx);
CONF

ip netns exec "$nb" "$E2D" --no-huge -n "${tag}b" -m 256 -s "$dir/b.sock" -c "$dir/b.conf" >"$dir/b.log" 2>&1 &
wait_socket "$dir/b.sock" || { cat "$dir/b.log"; exit 1; }
ip netns exec "$na" "$E2D" --no-huge -n "${tag}a" -m 256 -s "$dir/a.sock" -c "$dir/a.conf" >"$dir/a.log" 2>&1 &
wait_socket "$dir/a.sock" || { cat "$dir/a.log"; exit 1; }

# Wait for the generator to finish, then for the far side to count it all.
for ((i = 0; i < 300; i++)); do
  [ "$(stat "$dir/a.sock" src packets)" -ge "$N" ] && break
  sleep 0.1
done
sent=$(port_stat "$dir/a.sock" tx tx_packets)
for ((i = 0; i < 100; i++)); do
  got=$(stat "$dir/b.sock" s packets)
  [ "$got" -ge "$sent" ] && break
  sleep 0.1
done
sleep 0.5
got=$(stat "$dir/b.sock" s packets)
bytes=$(stat "$dir/b.sock" s bytes)
echo "$PMD: generated $N, sent $sent, received $got ($bytes bytes)"
want_bytes=$(( (N / 3) * (64 + 512 + 1500) + (N % 3 >= 1 ? 64 : 0) + (N % 3 >= 2 ? 512 : 0) ))
if [ "$sent" -ne "$N" ] || [ "$got" -ne "$N" ] || [ "$bytes" -ne "$want_bytes" ]; then
  echo "FAIL: expected $N packets ($want_bytes bytes) at the far end" >&2
  "$E2CTL" dp -s "$dir/b.sock" ports >&2
  "$E2CTL" dp -s "$dir/b.sock" status >&2
  cat "$dir/a.log" "$dir/b.log" >&2
  exit 1
fi
echo "PASS"
