#!/usr/bin/env bash
# A legacy NF in the chain: an unmodified nftables firewall in its own
# network namespace (scripts/legacy-nf.sh), between two e2d ports. Two flows
# go in; the firewall drops one; exactly the other comes back to e2d (which
# sorts what returns, so that the namespace's own chatter, if any, is not
# mistaken for either flow).
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
cat "$dir/ports.conf" - >"$dir/e2d.conf" <<CONF
src :: Source(limit=$((2 * N)), rate=20k, templates=[{dst_ip="10.9.9.9", size=100}, {dst_ip="10.8.8.8", size=200}]);
src -> PortOut(port=${nf}_in);
PortInc(port=${nf}_out) -> m :: HeaderMatch(rules=[{dst_ip="10.8.8.8", gate=0}, {dst_ip="10.9.9.9", gate=1}],
                                           default_gate=2);
m[0] -> c :: Counter() -> Sink();
m[1] -> leaked :: Counter() -> Sink();
m[2] -> other :: Counter() -> Sink();
CONF
"$E2D" --no-huge -n "$nf" -m 256 -s "$dir/e2d.sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$dir/e2d.sock" || { cat "$dir/e2d.log"; exit 1; }
for ((i = 0; i < 100; i++)); do
  [ "$(stat "$dir/e2d.sock" src packets)" -ge $((2 * N)) ] && break
  sleep 0.1
done
for ((i = 0; i < 50; i++)); do
  [ "$(stat "$dir/e2d.sock" c packets)" -ge "$N" ] && break
  sleep 0.1
done
sleep 0.5
got=$(stat "$dir/e2d.sock" c packets)
bytes=$(stat "$dir/e2d.sock" c bytes)
leaked=$(stat "$dir/e2d.sock" leaked packets)
other=$(stat "$dir/e2d.sock" other packets)
dropped=$(ip netns exec "e2nf-$nf" nft list chain bridge e2fw forward | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
echo "$PMD: sent $((2 * N)) (two flows), the firewall dropped $dropped, e2d got back $got ($bytes bytes)" \
  "of the allowed flow, $leaked of the blocked one ($other other packets from the namespace)"
if [ "$got" -ne "$N" ] || [ "$bytes" -ne $((N * 200)) ] || [ "$dropped" -ne "$N" ] || [ "$leaked" -ne 0 ]; then
  echo "FAIL: expected $N packets of 200 bytes back, none of the blocked flow, and $N dropped by nftables" >&2
  cat "$dir/e2d.log" >&2
  exit 1
fi
echo "PASS"
