#!/usr/bin/env bash
# A private Open vSwitch: its own ovsdb-server and ovs-vswitchd (userspace
# datapath) with every socket, database, pid and log file under one folder,
# so tests, benchmarks and the testbed each run their own switch without
# systemd, without the kernel module and without touching another instance.
#
#   scripts/ovs.sh start DIR     start both daemons, wait until they answer
#   scripts/ovs.sh stop DIR      stop both daemons (their bridges go with them)
#   scripts/ovs.sh env DIR       print the exports that point ovs-vsctl,
#                                ovs-ofctl and ovs-appctl at this instance
#
# Bridges made here must use the userspace datapath:
#   ovs-vsctl add-br br0 -- set bridge br0 datapath_type=netdev
# and OpenFlow reaches a bridge at unix:DIR/br0.mgmt.
set -euo pipefail
usage() { sed -n '2,14p' "$0"; exit "${1:-0}"; }
[ $# -eq 2 ] || usage 2
cmd=$1
dir=$(realpath -m "$2")

env_lines() {
  printf 'export OVS_RUNDIR=%q OVS_DBDIR=%q OVS_LOGDIR=%q OVS_SYSCONFDIR=%q\n' \
    "$dir" "$dir" "$dir" "$dir"
  printf 'export DB_SOCK=%q\n' "$dir/db.sock"
}

# Wait up to 10 s for "$@" to succeed.
wait_for() {
  local i
  for ((i = 0; i < 100; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

start() {
  local schema=/usr/share/openvswitch/vswitch.ovsschema
  command -v ovs-vswitchd >/dev/null || { echo "ovs.sh: Open vSwitch is not installed (scripts/deps.sh)" >&2; exit 1; }
  mkdir -p "$dir"
  eval "$(env_lines)"
  [ -f "$dir/conf.db" ] || ovsdb-tool create "$dir/conf.db" "$schema"
  ovsdb-server "$dir/conf.db" --remote="punix:$dir/db.sock" --pidfile="$dir/ovsdb-server.pid" \
    --unixctl="$dir/ovsdb-server.ctl" --log-file="$dir/ovsdb-server.log" -vconsole:off --detach 2>>"$dir/ovsdb-server.log"
  wait_for ovs-vsctl --db="unix:$dir/db.sock" --no-wait init ||
    { echo "ovs.sh: ovsdb-server did not answer; see $dir/ovsdb-server.log" >&2; exit 1; }
  ovs-vswitchd "unix:$dir/db.sock" --pidfile="$dir/ovs-vswitchd.pid" \
    --unixctl="$dir/ovs-vswitchd.ctl" --log-file="$dir/ovs-vswitchd.log" -vconsole:off --detach 2>>"$dir/ovs-vswitchd.log"
  wait_for ovs-appctl -t "$dir/ovs-vswitchd.ctl" version ||
    { echo "ovs.sh: ovs-vswitchd did not answer; see $dir/ovs-vswitchd.log" >&2; exit 1; }
}

# Stop the daemon whose pid file is $1 (TERM, then KILL after 5 s).
stop_pidfile() {
  local pid i
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  kill -TERM "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$1"
}

case "$cmd" in
  start) start ;;
  stop)
    stop_pidfile "$dir/ovs-vswitchd.pid"
    stop_pidfile "$dir/ovsdb-server.pid"
    ;;
  env) env_lines ;;
  -h|--help) usage 0 ;;
  *) echo "ovs.sh: unknown command '$cmd'" >&2; usage 2 ;;
esac
