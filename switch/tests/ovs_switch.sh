#!/usr/bin/env bash
# The OVS switch driver against a real Open vSwitch 3.1 (userspace datapath):
# a private ovs-vswitchd (scripts/ovs.sh) with a bridge e2swTAG (a bridge's
# local port is a kernel tap of its name: names must differ between OVS
# instances on one machine), four veth
# ports into namespaces (x1 = OpenFlow port 1, an external port; s1 = 2 and
# s2 = 3, servers; x2 = 4), table 5 limited to 4 flows. ovs_check (C) then
# applies rules, reads them back, sends frames and checks them at the far end.
#
# Usage: ovs_switch.sh OVS_CHECK_BINARY        (root; skips, 77, without OVS)
set -euo pipefail
check=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1 || ! command -v ovs-vswitchd >/dev/null; then
  echo "SKIP: needs root, network namespaces and Open vSwitch"
  exit 77
fi
tag=$(printf '%04x' $((RANDOM % 65536)))
dir=$(mktemp -d /tmp/e2sw.XXXXXX)
ports=(x1 s1 s2 x2)
br=e2sw$tag
cleanup() {
  "$top/scripts/ovs.sh" stop "$dir" || true
  for p in "${ports[@]}"; do
    ip netns del "e2t$tag$p" 2>/dev/null || true
    ip link del "e2t$tag$p" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT
"$top/scripts/ovs.sh" start "$dir"
eval "$("$top/scripts/ovs.sh" env "$dir")"
ovs-vsctl add-br $br -- set bridge $br datapath_type=netdev fail_mode=secure
ovs-vsctl -- --id=@ft create Flow_Table flow_limit=4 overflow_policy=refuse \
  -- set bridge $br flow_tables:5=@ft >/dev/null
args=()
for i in "${!ports[@]}"; do
  p=${ports[$i]} ns=e2t$tag${ports[$i]}
  ip netns add "$ns"
  ip link add "e2t$tag$p" type veth peer name nic0 netns "$ns"
  sysctl -qw "net.ipv6.conf.e2t$tag$p.disable_ipv6=1"
  ip link set "e2t$tag$p" up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns" ip link set nic0 up
  ovs-vsctl add-port $br "e2t$tag$p" -- set interface "e2t$tag$p" ofport_request=$((i + 1))
  args+=("$ns")
done
ovs-ofctl -O OpenFlow15 del-flows "unix:$dir/$br.mgmt"
"$check" "ovs:unix:$dir/$br.mgmt" "${args[@]}"
