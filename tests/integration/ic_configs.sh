#!/usr/bin/env bash
# Every server's e2d configuration of e2_ic's deployments, loaded by a real
# e2d: the example policies (Fig. 14 on one server and split over three,
# Fig. 16, the branch office) through `e2ctl deploy --json`; each server's
# e2d_config, behind the agent's declarations of the NIC (a null device here),
# must be accepted whole (all-or-nothing) and run. Legacy NFs' veths are
# created in a private namespace per server, as the agent would.
# Needs root (else: skip, 77).
# Usage: ic_configs.sh E2D E2CTL SOURCE_DIR
set -euo pipefail
E2D=$1 E2CTL=$2 SRC=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
require_root_netns
dir=$(mktemp -d) tag=ic$$ namespaces=()
cleanup() {
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# branch.e2's VPN is too slow for one core at the annotated rate: a faster copy.
mkdir "$dir/nf"
cp "$SRC"/policy/examples/nf/*.yaml "$dir/nf/"
sed -i 's|0.25 Gbit/s|4 Gbit/s|' "$dir/nf/vpn.yaml"

run_server() { # run_server DEPLOY.json SERVER
  local ns=$tag-$2 conf=$dir/$2.conf workers
  ip netns add "$ns"
  namespaces+=("$ns")
  python3 - "$1" "$2" "$conf" >"$dir/legacy" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["servers"][sys.argv[2]]
open(sys.argv[3], "w").write('port nic(vdev="net_null0");\nnic_in :: PortInc(port=nic);\n'
                             'nic_out :: PortOut(port=nic);\n' + d["e2d_config"])
print(d["workers"])
for nf in d["nfs"]:
    if "legacy" in nf: print(nf["legacy"]["in_iface"], nf["legacy"]["out_iface"])
PY
  workers=$(head -n1 "$dir/legacy")
  tail -n +2 "$dir/legacy" | while read -r i o; do
    for ifc in "$i" "$o"; do
      ip -n "$ns" link add "$ifc" type veth peer name "${ifc}p"
      ip -n "$ns" link set "$ifc" up
      ip -n "$ns" link set "${ifc}p" up
    done
  done
  if ! ip netns exec "$ns" "$E2D" --no-huge -m 128 -w "$workers" -n "$ns" -s none -c "$conf" \
      --duration 1 >"$dir/$2.log" 2>&1 || ! grep -q running "$dir/$2.log"; then
    echo "FAIL: e2d refused server $2's configuration:" >&2
    tail -n 5 "$dir/$2.log" >&2
    exit 1
  fi
  echo "  server $2: accepted ($(grep -c ' :: ' "$conf") modules, $workers worker(s))"
  ip netns del "$ns"
}

deploy() { # deploy NAME ARGS...
  local name=$1
  shift
  echo "== $name"
  "$E2CTL" deploy "$@" --json >"$dir/$name.json"
  for s in $(python3 -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))['servers']))" "$dir/$name.json"); do
    run_server "$dir/$name.json" "$s"
  done
}

ex=$SRC/policy/examples
deploy fig14 "$ex/fig14.e2" --nf-dir "$ex/nf" --hw "$ex/hw.yaml"
deploy fig14-split "$ex/fig14.e2" --nf-dir "$ex/nf" --hw "$SRC/cluster/tests/data/hw-split.yaml"
deploy fig16 "$ex/fig16.e2" --nf-dir "$ex/nf" --hw "$ex/hw.yaml"
deploy branch "$ex/branch.e2" --nf-dir "$dir/nf" --hw "$ex/hw.yaml"
echo PASS
