# The frame of a test with the web proxy/cache between a customer host and a
# web server (bash; source it after tests/integration/lib.sh, with $top the
# repository and $pfx a short unique prefix set). Used by this folder's e2e.sh
# and by tests/integration/appendix.sh.
#
# proxy_test_begin: addresses of the E2 paper's Fig. 14 networks, a scratch
# folder $dir (Squid's state in $state, e2d's socket $sock), the customer
# host ${pfx}cl and the server ${pfx}sv (tests/integration/lib.sh host_ns),
# the server's files (www/object.bin, its sha256 in $want) served on ports 80
# and 8080 by origin.py (log: $dir/origin.log); everything is undone on exit.
# fail MESSAGE prints the logs (the files named in fail_logs, which a test may
# change) and what a test's own fail_hook prints, if it has one, and exits 1.

my_net=10.12.30.0/24 cl_ip=10.12.30.10 px_ip=10.12.30.3 sv_ip=203.0.113.80
gw_mac=02:e2:00:00:00:01 cl_mac=02:00:0c:00:00:0a sv_mac=02:00:0c:00:00:50
fail_logs=(origin.log state/log/access.log state/log/cache.log e2d.log)

proxy_test_end() {
  "$E2CTL" dp -s "$sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  "$top/nfs/proxy/proxy.sh" down "$pfx" --state "$state" || true
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  local n
  for n in cl sv; do
    ip link del "$pfx$n" 2>/dev/null || true
    ip netns del "$pfx$n" 2>/dev/null || true
  done
  rm -rf "$dir"
}

fail() {
  echo "FAIL: $*" >&2
  declare -F fail_hook >/dev/null && fail_hook
  local f
  for f in "${fail_logs[@]}"; do
    echo "--- $f" >&2
    tail -n 20 "$dir/$f" >&2 || true
  done
  exit 1
}

proxy_test_begin() {
  local c
  for c in squid nft curl ethtool; do
    command -v $c >/dev/null || { echo "SKIP: $c missing (scripts/deps.sh installs it)"; exit 77; }
  done
  dir=$(mktemp -d)
  chmod 755 "$dir" # the proxy user walks into the state folder
  state=$dir/state sock=$dir/e2d.sock
  trap proxy_test_end EXIT
  host_ns "${pfx}cl" "${pfx}cl" "$cl_mac" "$cl_ip/24" 10.12.30.1 "$gw_mac"
  host_ns "${pfx}sv" "${pfx}sv" "$sv_mac" "$sv_ip/24" 203.0.113.1 "$gw_mac"
  mkdir -p "$dir/www"
  head -c 300000 /dev/urandom >"$dir/www/object.bin"
  want=$(sha256sum <"$dir/www/object.bin")
  ip netns exec "${pfx}sv" python3 "$top/nfs/proxy/tests/origin.py" "$dir/www" "$dir/origin.log" 80 8080 &
  wait_for 30 origin_listening || fail "the web server did not listen on ports 80 and 8080"
}
origin_listening() { [ "$(ip netns exec "${pfx}sv" ss -Hltn 'sport = :80 or sport = :8080' | wc -l)" -eq 2 ]; }

# get NAME URL [CURL OPTION...]: from the client, body to NAME.body, headers to
# NAME.hdr; prints the HTTP status.
get() {
  local name=$1 url=$2
  shift 2
  ip netns exec "${pfx}cl" curl -sS --connect-timeout 10 --max-time 60 --retry 2 \
    -o "$dir/$name.body" -D "$dir/$name.hdr" -w '%{http_code}' "$@" "$url"
}
# The server's log: GETs of object.bin on PORT, and the addresses they came from.
origin_lines() { grep -c "^$1 .*GET /object.bin" "$dir/origin.log" || true; }
origin_from() { sed -n "s|^$1 \([0-9.]*\) \"GET /object.bin.*|\1|p" "$dir/origin.log" | sort -u | tr '\n' ' '; }
# Squid's log: GETs of http://HOST/object.bin (HOST: the server's address by default).
access_lines() { grep -c "GET http://${1:-$sv_ip}/object.bin" "$state/log/access.log" 2>/dev/null || true; }
access_has() { [ "$(access_lines "${2:-}")" -ge "$1" ]; } # access_has N [HOST]
access_code() { grep "GET http://$1/object.bin" "$state/log/access.log" | sed -n "$2p" | awk '{print $4}'; } # HOST N
