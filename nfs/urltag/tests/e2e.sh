#!/usr/bin/env bash
# e2nf-urltag end to end with real HTTP: curl in one namespace, Python's
# http.server in another, e2d between them over AF_PACKET veths.
#   1. Method metadata: every packet goes through the NF, e2d's MetadataMatch
#      counts URLTag.class 1 ("cdn") and the rest apart: a request to a site
#      that is not in the table leaves the cdn counter at 0; a request under
#      a cdn prefix puts its connection's packets there (from its request on:
#      the counter and the NF's class_packets agree); both requests are
#      logged with their hosts and paths.
#   2. Method port: the same NF with ports cdn and other, e2d counting what
#      leaves each; then a reload with a bad table is refused with FILE:LINE.
# Usage: e2e.sh E2D E2CTL E2NF-URLTAG      (root, hugepages)
set -euo pipefail
E2D=$1 E2CTL=$2 URLTAG=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../tests/integration/lib.sh"
require_root_hugepages
command -v curl >/dev/null || { echo "SKIP: curl missing (scripts/deps.sh)"; exit 77; }

id=$(($$ % 100000)) dir=$(mktemp -d)
nsc=utc$id nss=uts$id vc=uvc$id vs=uvs$id
CLIENT=10.79.0.1 SERVER=10.79.0.2
cleanup() { two_hosts_end "$nsc" "$vc" "$nss" "$vs"; }
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -S "$dir/u.ctl" ] && timeout 5 "$E2CTL" nf -s "$dir/u.ctl" stats >&2
  cat "$dir"/*.err "$dir"/*.log >&2 2>/dev/null || true
  exit 1
}
in_ns() { ip netns exec "$1" "${@:2}"; }
count() { "$E2CTL" dp -s "$sock" --json cmd "$1" get | json "d['packets']"; }
nfstat() { "$E2CTL" nf -s "$dir/u.ctl" stats | json "$1"; }
wait_eq() { # COMMAND VALUE SECONDS
  local i
  for ((i = 0; i < $3 * 10; i++)); do [ "$(eval "$1")" = "$2" ] && return 0; sleep 0.1; done
  fail "waited $3 s for '$1' to be $2; it is $(eval "$1")"
}

two_hosts "$nsc" "$vc" $CLIENT "$nss" "$vs" $SERVER
mkdir -p "$dir/www/images"
head -c 20000 /dev/urandom >"$dir/www/images/logo.png"
echo "hello" >"$dir/www/index.html"
(cd "$dir/www" && exec ip netns exec "$nss" python3 -m http.server 8080 --bind $SERVER) >"$dir/server.out" 2>&1 &
wait_eq "in_ns $nss ss -ltn | grep -c ':8080 '" 1 30
printf '# images of www.example.com to the CDN\ncdn www.example.com/images/\n' >"$dir/urls"
get() { # HOST PATH: a GET to the server with that Host
  in_ns "$nsc" curl -sf -o /dev/null --max-time 30 -H "Host: $1" "http://$SERVER:8080$2" || fail "curl $1$2 failed"
}

ports="port pc(vdev=\"net_af_packet_uc$id,iface=$vc,framecnt=2048\");
port ps(vdev=\"net_af_packet_us$id,iface=$vs,framecnt=2048\");
steer :: HeaderMatch(rules=[{dst_ip=\"$CLIENT/32\", gate=0}], default_gate=1);
steer[0] -> PortOut(port=pc); steer[1] -> PortOut(port=ps);"
start() { # MODE CONFIG: e2d and the NF
  sock=$dir/$1.sock
  echo "$2" >"$dir/$1.conf"
  "$E2D" -n "ut$1$id" -m 256 -s "$sock" -c "$dir/$1.conf" >"$dir/e2d-$1.log" 2>&1 &
  wait_socket "$sock" || fail "e2d did not start"
  rm -f "$dir/u.ctl"
  "$URLTAG" -n u -s "$sock" -c "$dir/urls" --log "$dir/$1.jsonl" --ctl "$dir/u.ctl" >"$dir/u-$1.out" 2>"$dir/u.err" &
  local i
  for ((i = 0; i < 300; i++)); do "$E2CTL" nf -s "$dir/u.ctl" stats >/dev/null 2>&1 && return; sleep 0.1; done
  fail "e2nf-urltag did not start"
}

echo "== 1. method metadata"
start meta "tag(name=\"URLTag.class\");
nf u(ports=[in, out]);
$ports
to_u :: VPort(nf=u, port=in); PortInc(port=pc) -> to_u; PortInc(port=ps) -> to_u;
VPort(nf=u, port=out) -> m :: MetadataMatch(rules=[{tag=\"URLTag.class\", value=1, gate=0}], default_gate=1);
m[0] -> cdn :: Counter() -> steer; m[1] -> other :: Counter() -> steer;"
[ "$(nfstat "d['nf']['method']")" = metadata ] || fail "not method metadata"
get www.other.org /index.html
[ "$(count cdn)" = 0 ] || fail "a site outside the table reached the cdn path"
get www.example.com /images/logo.png
wait_eq "nfstat \"d['nf']['class_packets']['cdn']\"" "$(count cdn)" 10
cdn=$(count cdn)
[ "$cdn" -ge 15 ] || fail "only $cdn packets on the cdn path for a 20 kB image"
[ "$(nfstat "d['nf']['class_requests']['cdn'], d['nf']['class_requests']['other']")" = "1 1" ] ||
  fail "requests per class: $(nfstat "d['nf']['class_requests']")"
wait_eq "wc -l <$dir/meta.jsonl" 2 10
python3 - "$dir/meta.jsonl" <<'PY' || fail "the log differs"
import json, sys
got = [(l["host"], l["path"], l["status"]) for l in map(json.loads, open(sys.argv[1]))]
print("  logged", got)
sys.exit(0 if got == [("www.other.org", "/index.html", 200), ("www.example.com", "/images/logo.png", 200)] else 1)
PY
echo "  cdn path: $cdn packets, other: $(count other)"
"$E2CTL" dp -s "$sock" quit >/dev/null

echo "== 2. method port, and a bad reload"
start port "nf u(ports=[in, cdn, other]);
$ports
to_u :: VPort(nf=u, port=in); PortInc(port=pc) -> to_u; PortInc(port=ps) -> to_u;
VPort(nf=u, port=cdn) -> cdn :: Counter() -> steer;
VPort(nf=u, port=other) -> other :: Counter() -> steer;"
[ "$(nfstat "d['nf']['method']")" = port ] || fail "not method port"
get www.other.org /index.html
[ "$(count cdn)" = 0 ] || fail "a site outside the table left by port cdn"
get WWW.Example.COM:8080 /images/logo.png
wait_eq "nfstat \"d['nf']['class_packets']['cdn']\"" "$(count cdn)" 10
[ "$(count cdn)" -ge 15 ] || fail "only $(count cdn) packets left by port cdn"
echo "  port cdn: $(count cdn) packets, other: $(count other)"
printf 'cdn www.example.com/images/\nvideo video.example.com/\n' >"$dir/urls"
if out=$("$E2CTL" nf -s "$dir/u.ctl" reload 2>&1); then fail "a table with a class without a port was taken"; fi
[[ $out == *"no port 'video'"* ]] || fail "the refusal says: $out"
printf 'cdn www.example.com/images/\ncdn www.example.com/images/\n' >"$dir/urls"
if out=$("$E2CTL" nf -s "$dir/u.ctl" reload 2>&1); then fail "a bad table was taken"; fi
[[ $out == *"urls:2: prefix 'www.example.com/images/' is listed already (line 1)"* ]] ||
  fail "the refusal does not name the line: $out"
echo "  refused: $out"
echo "PASS"
