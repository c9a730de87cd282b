#!/usr/bin/env bash
# Obtain OVS multipath hash vectors from the installed Open vSwitch: start a
# private switch (scripts/ovs.sh) in a network namespace of its own (a second
# userspace datapath in one namespace clashes on the ovs-netdev device), add a
# netdev bridge with one port and let ovs_hash_vectors.py trace its frames.
#
# Usage: ovs_hash_vectors.sh OUT [SEED]      (root; exit 77 without root or OVS)
#        ovs_hash_vectors.sh --check TEST_OVS_HASH
#   ovs_hash_vectors.sh switch/tests/data/ovs_hash_vectors.txt    regenerates the checked-in file
#   --check: trace fresh frames (a new seed) and run the unit test on them
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
check=
if [ "$1" = --check ]; then check=$2; fi
out=${1} seed=${2:-8300}
if [ "$(id -u)" -ne 0 ] || ! command -v ovs-vswitchd >/dev/null || ! ip netns list >/dev/null 2>&1; then
  echo "SKIP: needs root, network namespaces and Open vSwitch"
  exit 77
fi
ns=e2ovh$$ dir=$(mktemp -d)
if [ -n "$check" ]; then out=$dir/vectors.txt seed=$$; fi
cleanup() {
  "$top/scripts/ovs.sh" stop "$dir" >/dev/null 2>&1 || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$ns"
ip netns exec "$ns" "$top/scripts/ovs.sh" start "$dir"
eval "$("$top/scripts/ovs.sh" env "$dir")"
ovs-vsctl add-br br0 -- set bridge br0 datapath_type=netdev \
  -- add-port br0 p1 -- set interface p1 type=internal ofport_request=1
ovs-ofctl del-flows "unix:$dir/br0.mgmt"
python3 "$here/ovs_hash_vectors.py" "$dir/ovs-vswitchd.ctl" "unix:$dir/br0.mgmt" br0 "$seed" >"$out.tmp"
mv "$out.tmp" "$out"
echo "$(wc -l <"$out") vectors (seed $seed) from $(ovs-vswitchd --version | head -1) in $out"
[ -z "$check" ] || "$check" "$out"
