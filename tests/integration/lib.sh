# Shared helpers for the integration tests (bash). Source it; needs E2D and E2CTL set.

# Skip (exit 77, ctest's SKIP_RETURN_CODE) unless we are root with network namespaces.
require_root_netns() {
  if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "SKIP: needs root and network namespaces"
    exit 77
  fi
}

# Wait until a control socket answers, or fail after $2 seconds.
wait_socket() {
  local sock=$1 limit=${2:-20} i
  for ((i = 0; i < limit * 10; i++)); do
    "$E2CTL" dp -s "$sock" status >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "FAIL: no e2d answered on $sock" >&2
  return 1
}

# Wait until a command succeeds, or fail after $1 seconds: wait_for SECONDS COMMAND...
wait_for() {
  local limit=$1 i
  shift
  for ((i = 0; i < limit * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# Print a number from a module's statistics: stat SOCKET MODULE KEY
stat() {
  "$E2CTL" dp -s "$1" --json module "$2" | python3 -c "import json,sys; print(json.load(sys.stdin)['stats']['$3'])"
}

# Print a number from a port's device counters: port_stat SOCKET PORT KEY
port_stat() {
  "$E2CTL" dp -s "$1" --json ports |
    python3 -c "import json,sys; print(next(p for p in json.load(sys.stdin) if p['name'] == '$2')['stats']['$3'])"
}

# A veth pair $1 <-> $2 with $1 in namespace $3 and $2 in namespace $4, quiet:
# no IPv6 (no router solicitations), no addresses, so only our packets cross.
veth_between() {
  local a=$1 b=$2 na=$3 nb=$4
  ip link add "$a" type veth peer name "$b"
  ip link set "$a" netns "$na"
  ip link set "$b" netns "$nb"
  for pair in "$na $a" "$nb $b"; do
    set -- $pair
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$1" ip link set "$2" up
    ip netns exec "$1" ip link set lo up
  done
}

# Skip unless root with free hugepages (native NFs share e2d's hugepage memory).
require_root_hugepages() {
  require_root_netns
  local free
  free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
  if [ "${free:-0}" -lt 128 ]; then
    echo "SKIP: needs free hugepages (scripts/deps.sh reserves them)"
    exit 77
  fi
}

# Two Linux hosts for e2d to stand between: namespace NS1 with eth0 at
# ADDR1/24, the other end of its veth (PEER1) left here for an AF_PACKET
# port, and the same for NS2; no IPv6, no offloads (frames as on a wire),
# each host knowing the other's MAC (no ARP through e2d).
#   two_hosts NS1 PEER1 ADDR1 NS2 PEER2 ADDR2     (undo: ip netns del, ip link del)
two_hosts() {
  _veth_host "$1" "$2" "$3"
  _veth_host "$4" "$5" "$6"
  ip netns exec "$1" ip neigh add "$6" lladdr "$(ip netns exec "$4" cat /sys/class/net/eth0/address)" dev eth0 nud permanent
  ip netns exec "$4" ip neigh add "$3" lladdr "$(ip netns exec "$1" cat /sys/class/net/eth0/address)" dev eth0 nud permanent
}
# Undo it all at the end of such a test: every e2d with a socket in $dir
# stopped, background jobs (stopped ones too) killed, the hosts and $dir
# removed: two_hosts_end NS1 PEER1 NS2 PEER2
two_hosts_end() {
  for s in "$dir"/*.sock; do [ -S "$s" ] && "$E2CTL" dp -s "$s" quit >/dev/null 2>&1; done
  kill -CONT $(jobs -p) 2>/dev/null || true
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  ip link del "$2" 2>/dev/null || true
  ip link del "$4" 2>/dev/null || true
  ip netns del "$1" 2>/dev/null || true
  ip netns del "$3" 2>/dev/null || true
  rm -rf "$dir"
}
_veth_host() { # NS PEER ADDR
  ip netns add "$1"
  ip link add "$2" type veth peer name eth0 netns "$1"
  sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
  ethtool -K "$2" gro off >/dev/null 2>&1 || true
  ip link set "$2" up
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$1" ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1 || true
  ip netns exec "$1" ip link set lo up
  ip netns exec "$1" ip addr add "$3/24" dev eth0
  ip netns exec "$1" ip link set eth0 up
}

# The frame of a native NF's end-to-end test: a scratch folder $dir and
# e2d's socket $sock; on exit e2d is stopped, every background job killed
# and $dir removed. A test with more to undo traps its own and calls nf_test_end.
nf_test_begin() {
  dir=$(mktemp -d)
  sock=$dir/e2d.sock
  trap nf_test_end EXIT
}
nf_test_end() {
  "$E2CTL" dp -s "$sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}

# Start e2d as instance NAME on config file CONF (in nf_test_begin's $dir): start_e2d NAME CONF
start_e2d() {
  "$E2D" -n "$1" -m 256 -s "$sock" -c "$2" >"$dir/e2d.log" 2>&1 &
  wait_socket "$sock" || { cat "$dir/e2d.log" >&2; return 1; }
}

# Print a Python expression of d, the JSON document on stdin: json "d['a']"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# A Linux host behind e2d: namespace $1 whose "eth0" (MAC $3, address $4 as
# A.B.C.D/LEN) is the peer of veth $2 left here for e2d's port; its default
# route goes through gateway $5, a permanent neighbour with MAC $6 (e2d
# rewrites the MACs of what it sends the host). No IPv6 chatter; full
# checksums and no super-frames on the wire, so e2d sees what a NIC would.
#   host_ns NS PEER MAC ADDR/LEN GATEWAY GATEWAY_MAC
host_ns() {
  local ns=$1 peer=$2 x="ip netns exec $1"
  ip netns add "$ns"
  ip link add "$peer" type veth peer name eth0 netns "$ns"
  sysctl -qw "net.ipv6.conf.$peer.disable_ipv6=1"
  ethtool -K "$peer" gro off >/dev/null 2>&1 || true
  ip link set "$peer" up
  $x sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  $x ip link set lo up
  $x ip link set eth0 address "$3"
  $x ethtool -K eth0 tx off tso off gso off >/dev/null
  $x ip link set eth0 up
  $x ip addr add "$4" dev eth0
  $x ip neigh replace "$5" lladdr "$6" dev eth0 nud permanent
  $x ip route add default via "$5" dev eth0
}
