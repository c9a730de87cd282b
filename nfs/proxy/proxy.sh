#!/usr/bin/env bash
# The E2 web proxy/cache: Squid in interception mode as a legacy NF.
#
#   proxy.sh up NAME --addr IP [--gw-mac MAC] [--port N] [--allow PREFIX]...
#               [--dns IP]... [--hosts FILE] [--state DIR] [--cache-mb N]
#               [--mem-mb N] [--conf FILE] [--xdp] [--wait SECONDS]
#   proxy.sh down NAME [--state DIR] [--purge]
#   proxy.sh stats NAME
#
# up makes namespace e2nf-NAME with scripts/legacy-nf.sh --routed, gives
# "in" the proxy's address IP, routes everything out of "out" to e2d (the
# next hop, a permanent neighbour with MAC --gw-mac), redirects TCP port 80
# arriving on "in" to Squid's intercept port, starts Squid there with its
# cache, logs and pid file under the state folder, waits until it listens,
# and prints e2d's port lines. down stops Squid, removes the namespace and
# its veths, and with --purge the state folder too. stats prints the
# proxy's counters, one "name value" a line. See README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
legacy=$here/../../scripts/legacy-nf.sh
usage() {
  if [ "${1:-0}" -eq 0 ]; then sed -n '2,17p' "$0"; else sed -n '4,8s/^#   //p' "$0" >&2; fi
  exit "${1:-0}"
}
die() { echo "proxy.sh: $*" >&2; exit 1; }

[ $# -ge 2 ] || usage 2
cmd=$1 name=$2
shift 2
ns=e2nf-$name

# Defaults; the options below override them.
addr="" gw_mac=02:e2:00:00:00:01 port=3129 allow=() dns=() hosts=/etc/hosts state=/tmp/e2nf-proxy-$name
cache_mb=256 mem_mb=64 conf=$here/squid.conf xdp=() wait_s=120 purge=0

parse_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --addr) addr=${2:?}; shift ;;
      --gw-mac) gw_mac=${2:?}; shift ;;
      --port) port=${2:?}; shift ;;
      --allow) allow+=("${2:?}"); shift ;;
      --dns) dns+=("${2:?}"); shift ;;
      --hosts) hosts=${2:?}; shift ;;
      --state) state=${2:?}; shift ;;
      --cache-mb) cache_mb=${2:?}; shift ;;
      --mem-mb) mem_mb=${2:?}; shift ;;
      --conf) conf=${2:?}; shift ;;
      --wait) wait_s=${2:?}; shift ;;
      --xdp) xdp=(--xdp) ;;
      --purge) purge=1 ;;
      -h | --help) usage 0 ;;
      *) echo "proxy.sh: unknown option '$1'" >&2; usage 2 ;;
    esac
    shift
  done
}

check_up_options() {
  [[ "$addr" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || die "--addr wants an IPv4 address, got '$addr'"
  [[ "$gw_mac" =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]] || die "--gw-mac wants a MAC address, got '$gw_mac'"
  for n in port cache_mb mem_mb wait_s; do
    if ! [[ "${!n}" =~ ^[0-9]+$ ]] || [ "${!n}" -eq 0 ]; then
      die "--${n//_/-} wants a positive number, got '${!n}'"
    fi
  done
  if [ "$port" -ge 65536 ] || [ "$port" -eq 80 ] || [ "$port" -eq 3128 ]; then
    die "--port must be a free TCP port other than 80 and 3128, got $port"
  fi
  [ -r "$conf" ] || die "cannot read the configuration template '$conf'"
  [ ${#allow[@]} -gt 0 ] || allow=(all)
  # No resolver: queries go to loopback, where none answers; give up fast.
  dns_timeout="30 seconds" dns_retry="5 seconds"
  [ ${#dns[@]} -gt 0 ] || dns=(127.0.0.1) dns_timeout="1 second" dns_retry="1 second"
  [ -r "$hosts" ] || die "cannot read the hosts file '$hosts'"
  command -v squid >/dev/null || die "squid is missing (scripts/deps.sh installs it)"
  command -v nft >/dev/null || die "nft is missing (scripts/deps.sh installs nftables)"
}

# Squid's service name keys its shared memory and its -k signals: one per NF.
service() { echo "e2proxy${name//[^A-Za-z0-9]/}"; }

# The first errors in a Squid log: FATAL, ERROR, or FILE(LINE): complaints.
squid_errors() { grep -m3 -E 'FATAL|ERROR|\([0-9]+\): ' "$1" | sed 's/^[0-9/]* [0-9:]*| //'; }

squid_pid() {
  local pid
  pid=$(cat "$state/squid.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# A value made literal for the replacement side of sed's s|...|...|.
esc() { printf '%s' "$1" | sed 's/[|&\\]/\\&/g'; }

# The state folder: cache and log folders the proxy user owns, and the
# configuration rendered from the template.
make_state() {
  mkdir -p "$state/cache" "$state/log"
  chown proxy:proxy "$state/cache" "$state/log"
  runuser -u proxy -- test -w "$state/cache" ||
    die "user proxy cannot write $state/cache: make the folders above it searchable (chmod o+x)"
  sed -e "s|@NAME@|$(esc "$name")|g; s|@STATE@|$(esc "$state")|g; s|@PORT@|$port|g" \
    -e "s|@ALLOW@|$(esc "${allow[*]}")|g; s|@DNS@|$(esc "${dns[*]}")|g" \
    -e "s|@DNS_TIMEOUT@|$dns_timeout|g; s|@DNS_RETRY@|$dns_retry|g; s|@HOSTS@|$(esc "$hosts")|g" \
    -e "s|@CACHE_MB@|$cache_mb|g; s|@MEM_MB@|$mem_mb|g" \
    "$conf" >"$state/squid.conf"
  squid -k parse -f "$state/squid.conf" -n "$(service)" >"$state/log/parse.log" 2>&1 ||
    die "squid refused its configuration: $(squid_errors "$state/log/parse.log")"
}

# Addresses, routes and the interception rules inside the namespace.
configure_namespace() {
  local x="ip netns exec $ns"
  # Packets arrive on "in" and leave by "out": no reverse-path check. Not a
  # router: what is neither intercepted nor for IP is dropped, whatever the
  # host's defaults that a new namespace may inherit.
  for i in all default in out; do $x sysctl -qw "net.ipv4.conf.$i.rp_filter=0"; done
  $x sysctl -qw net.ipv4.ip_forward=0
  $x ip addr add "$addr/32" dev in
  # e2d is the next hop for everything: a permanent neighbour, no ARP.
  $x ip neigh replace 169.254.0.1 lladdr "$gw_mac" dev out nud permanent
  $x ip route add default via 169.254.0.1 dev out onlink src "$addr"
  $x nft -f - <<NFT
table ip e2proxy {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "in" tcp dport 80 counter redirect to :$port comment "intercepted"
  }
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport $port ct status dnat accept
    tcp dport $port counter drop comment "direct to the intercept port"
  }
}
NFT
}

start_squid() {
  local x="ip netns exec $ns" i
  [ -d "$state/cache/00" ] || $x squid -z -N -f "$state/squid.conf" -n "$(service)" >>"$state/log/parse.log" 2>&1 ||
    die "squid -z could not make the cache: $(squid_errors "$state/log/parse.log")"
  $x squid -f "$state/squid.conf" -n "$(service)"
  for ((i = 0; i < wait_s * 10; i++)); do
    if squid_pid >/dev/null && [ -n "$($x ss -Hltn "sport = :$port")" ]; then
      return 0
    fi
    sleep 0.1
  done
  die "squid did not listen on port $port within ${wait_s}s: $(squid_errors "$state/log/cache.log")"
}

stop_squid() {
  local pid i
  pid=$(squid_pid) || return 0
  ip netns exec "$ns" squid -k shutdown -f "$state/squid.conf" -n "$(service)" 2>/dev/null || kill -TERM "$pid"
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

up() {
  check_up_options
  [ "$(id -u)" -eq 0 ] || die "run as root (namespaces, nftables)"
  [ ! -e "/run/netns/$ns" ] || die "namespace $ns exists already (proxy.sh down $name)"
  make_state
  "$legacy" up "$name" --routed "${xdp[@]}" >"$state/ports.conf"
  trap down EXIT
  configure_namespace
  start_squid
  trap - EXIT
  cat "$state/ports.conf"
  echo "# proxy '$name': address $addr, in MAC $(ip netns exec "$ns" cat /sys/class/net/in/address)" \
    "(e2d puts it on what it sends to ${name}_in), state $state"
}

down() {
  if [ -f "$state/squid.conf" ]; then stop_squid; fi
  "$legacy" down "$name"
  if [ "$purge" -eq 1 ]; then rm -rf "$state"; fi
}

# Counters: nftables' (connections intercepted, direct connections to the
# intercept port refused) and Squid's cache manager's (HTTP requests, hits,
# errors and kilobytes to clients; requests and kilobytes from servers).
stats() {
  local x="ip netns exec $ns" chain counter
  [ -e "/run/netns/$ns" ] || die "no proxy '$name' (no namespace $ns)"
  while read -r chain counter; do
    echo "$counter $($x nft list chain ip e2proxy "$chain" | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')"
  done <<<"prerouting intercepted_connections
input direct_refused"
  $x curl -sSf --max-time 10 http://127.0.0.1:3128/squid-internal-mgr/counters |
    sed -n 's/^\(client_http\.[a-z_]*\|server\.http\.[a-z_]*\) = \([0-9]*\)$/\1 \2/p'
}

parse_options "$@"
case "$cmd" in
  up) up ;;
  down) down ;;
  stats) stats ;;
  *) usage 2 ;;
esac
