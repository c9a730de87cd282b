#!/usr/bin/env bash
# Rule installation into Open vSwitch (a private instance, userspace
# datapath, scripts/ovs.sh) through the switch driver: one bundle of N rules
# vs one apply per rule, deletes by cookie, and the model switch's simulated
# rate at its configured latency (MODEL_LATENCY_US, default 1000 us/entry).
#
# Usage: bench/switch/run.sh [--quick] [BUILD_DIR]      (root: OVS)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-$top/build}
if [ "$(id -u)" -ne 0 ] || ! command -v ovs-vswitchd >/dev/null; then
  echo "SKIP: needs root and Open vSwitch"
  exit 77
fi
dir=$(mktemp -d /tmp/e2swb.XXXXXX)
br=e2swb$(printf '%04x' $((RANDOM % 65536)))
trap '"$top/scripts/ovs.sh" stop "$dir" || true; rm -rf "$dir"' EXIT
"$top/scripts/ovs.sh" start "$dir"
eval "$("$top/scripts/ovs.sh" env "$dir")"
ovs-vsctl add-br "$br" -- set bridge "$br" datapath_type=netdev fail_mode=secure
args=(--rules 2000 --single 100)
[ "$quick" -eq 1 ] && args=(--rules 200 --single 10)
"$build/bench/switch/bench_switch" "ovs:unix:$dir/$br.mgmt" "${args[@]}" \
  --model-latency-us "${MODEL_LATENCY_US:-1000}"
