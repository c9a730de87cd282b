#!/usr/bin/env bash
# A legacy NF in the chain: an unmodified nftables firewall in its own
# network namespace (scripts/legacy-nf.sh), between two e2d ports. Three
# flows go in: one the firewall drops, and both directions of a conversation
# between two MAC addresses (the bridge inside must pass both, though both
# enter by "in"); exactly those two come back to e2d (which sorts what
# returns, so that the namespace's own chatter, if any, is not mistaken for
# any flow).
# Usage: legacy_nf.sh E2D E2CTL [af_packet|af_xdp]      (root)
set -euo pipefail
E2D=$1 E2CTL=$2 PMD=${3:-af_packet}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
require_root_netns
command -v nft >/dev/null || { echo "SKIP: nft missing (scripts/deps.sh installs nftables)"; exit 77; }

nf=lf$(($$ % 100000)) dir=$(mktemp -d)
cleanup() {
  "$E2CTL" dp -s "$dir/e2d.sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  "$top/scripts/legacy-nf.sh" down "$nf"
  rm -rf "$dir"
}
trap cleanup EXIT
xdp=()
[ "$PMD" = af_xdp ] && xdp=(--xdp)
"$top/scripts/legacy-nf.sh" up "$nf" "${xdp[@]}" >"$dir/ports.conf"
ip netns exec "e2nf-$nf" nft -f - <<'NFT'
table bridge e2fw {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip daddr 10.9.9.9 counter drop
  }
}
NFT

N=3000
a=02:00:00:00:00:0a b=02:00:00:00:00:0b
cat "$dir/ports.conf" - >"$dir/e2d.conf" <<CONF
src :: Source(limit=$((3 * N)), rate=30k, templates=[{dst_ip="10.9.9.9", size=100},
  {src_mac="$a", dst_mac="$b", src_ip="10.7.7.7", dst_ip="10.8.8.8", size=200},
  {src_mac="$b", dst_mac="$a", src_ip="10.8.8.8", dst_ip="10.7.7.7", size=300}]);
src -> PortOut(port=${nf}_in);
PortInc(port=${nf}_out) -> m :: HeaderMatch(rules=[{dst_ip="10.8.8.8", gate=0}, {dst_ip="10.9.9.9", gate=1},
                                                  {dst_ip="10.7.7.7", gate=3}], default_gate=2);
m[0] -> c :: Counter() -> Sink();
m[1] -> leaked :: Counter() -> Sink();
m[2] -> other :: Counter() -> Sink();
m[3] -> back :: Counter() -> Sink();
CONF
"$E2D" --no-huge -n "$nf" -m 256 -s "$dir/e2d.sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$dir/e2d.sock" || { cat "$dir/e2d.log"; exit 1; }
for ((i = 0; i < 100; i++)); do
  [ "$(stat "$dir/e2d.sock" src packets)" -ge $((3 * N)) ] && break
  sleep 0.1
done
for ((i = 0; i < 50; i++)); do
  [ "$(stat "$dir/e2d.sock" c packets)" -ge "$N" ] && [ "$(stat "$dir/e2d.sock" back packets)" -ge "$N" ] && break
  sleep 0.1
done
sleep 0.5
got=$(stat "$dir/e2d.sock" c packets)
bytes=$(stat "$dir/e2d.sock" c bytes)
leaked=$(stat "$dir/e2d.sock" leaked packets)
other=$(stat "$dir/e2d.sock" other packets)
back=$(stat "$dir/e2d.sock" back packets)
back_bytes=$(stat "$dir/e2d.sock" back bytes)
dropped=$(ip netns exec "e2nf-$nf" nft list chain bridge e2fw forward | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
echo "$PMD: sent $((3 * N)) (three flows), the firewall dropped $dropped, e2d got back $got ($bytes bytes)" \
  "of the allowed flow and $back ($back_bytes bytes) of its reverse, $leaked of the blocked one" \
  "($other other packets from the namespace)"
if [ "$got" -ne "$N" ] || [ "$bytes" -ne $((N * 200)) ] || [ "$back" -ne "$N" ] ||
  [ "$back_bytes" -ne $((N * 300)) ] || [ "$dropped" -ne "$N" ] || [ "$leaked" -ne 0 ]; then
  echo "FAIL: expected $N packets of 200 bytes and $N of 300 back, none of the blocked flow, and $N dropped by nftables" >&2
  cat "$dir/e2d.log" >&2
  exit 1
fi
echo "PASS"
