#!/usr/bin/env bash
# The e2ctl policy verbs keep their command-line contract (exit codes and
# message formats that other tools rely on).
# Usage: test_e2ctl.sh E2CTL EXAMPLES_DIR TESTDATA_DIR
set -uo pipefail
e2ctl=$1 ex=$2 data=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
expect() { # NAME WANT_RC CMD... ; stdout in $tmp/out, stderr in $tmp/err
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, want $want"; cat "$tmp/err"; fi
}
grep_out() { grep -Eq "$2" "$tmp/$1" && ok "  $1 ~ $2" || { bad "  $1 !~ $2"; cat "$tmp/$1"; }; }

expect "check valid policy" 0 "$e2ctl" check "$ex/fig14.e2"
grep_out out "^$ex/fig14.e2: ok: 2 pipelets, 6 nodes, 12 edges \(4 restricted"
[ "$(wc -l <"$tmp/out")" -eq 1 ] && ok "  one-line summary" || bad "  summary is not one line"

expect "check with --nf-dir" 0 "$e2ctl" check "$ex/fig16.e2" --nf-dir "$ex/nf"
for p in "$ex"/*.e2; do expect "example $(basename "$p") checks" 0 "$e2ctl" check "$p"; done

printf 'NAT n;\nPort<0> a;\npipelet {\n  a [dst port 80 or] -> n;\n}\n' >"$tmp/syntax.e2"
expect "syntax error" 1 "$e2ctl" check "$tmp/syntax.e2" --nf-dir "$ex/nf"
grep_out err "^$tmp/syntax.e2:4:20: error: expected a term at the end of the filter$"

printf 'NAT n;\nPort<0> a;\npipelet { a -> m; }\n' >"$tmp/ref.e2"
expect "reference error" 1 "$e2ctl" check "$tmp/ref.e2" --nf-dir "$ex/nf"
grep_out err "^$tmp/ref.e2:3:16: error: unknown node 'm'"

sed 's/^    n \[!(dst ip my_net)\] -> Drop;.*//' "$ex/fig14.e2" >"$tmp/gap.e2"
expect "missing destination" 1 "$e2ctl" check "$tmp/gap.e2" --nf-dir "$ex/nf"
grep_out err "^$tmp/gap.e2: error: node 'n': packets such as IPv4 .* have no destination"

printf 'NAT n;\nPort<0> a;\npipelet { a [tcp] -> n; a [port 80] -> Drop; a [not tcp and not port 80] -> Drop; n -> Drop; }\n' >"$tmp/amb.e2"
expect "ambiguity" 1 "$e2ctl" check "$tmp/amb.e2" --nf-dir "$ex/nf"
grep_out err "^$tmp/amb.e2: error: node 'a': edge 0 \(a -> n, line 3\) and edge 1 \(a -> Drop, line 3\) both take packets such as: IPv4 .*:80 tcp"

expect "compile json" 0 "$e2ctl" compile "$ex/fig14.e2" --format json
grep_out out '^  "format": "e2-pgraph/1",$'
[ "$(grep -c '^      "id": ' "$tmp/out")" -eq 12 ] && ok "  12 edges" || bad "  edge count"
expect "compile dot" 0 "$e2ctl" compile "$ex/fig14.e2" --nf-dir "$ex/nf" --format dot
grep_out out '^digraph pgraph \{$'
expect "compile needs --format" 2 "$e2ctl" compile "$ex/fig14.e2"
expect "compile of an invalid policy" 1 "$e2ctl" compile "$tmp/gap.e2" --nf-dir "$ex/nf" --format json

# tcpdump numbers only what it prints, so compare timestamps: packet N's
# timestamp is line N of an unfiltered listing.
tcpdump -tt -nr "$data/captured.pcap" 2>/dev/null | awk '{print $1}' >"$tmp/all"
for f in 'tcp port 80' 'icmp6 or arp' 'vlan 100 and udp' 'ip[6:2] & 0x3fff != 0'; do
  expect "filter '$f'" 0 "$e2ctl" filter "$f" "$data/captured.pcap"
  tcpdump -tt -nr "$data/captured.pcap" "$f" 2>/dev/null | awk '{print $1}' >"$tmp/want"
  awk 'NR == FNR { ts[NR] = $1; next } { print ts[$1] }' "$tmp/all" "$tmp/out" >"$tmp/got"
  if [ -s "$tmp/want" ] && cmp -s "$tmp/got" "$tmp/want"; then ok "  same packets as tcpdump ($(wc -l <"$tmp/want"))"
  else bad "  packets differ from tcpdump"; diff "$tmp/got" "$tmp/want" | head; fi
done
expect "filter syntax error" 1 "$e2ctl" filter 'tcp port' "$data/captured.pcap"
grep_out err '^filter:1:9: error: expected a value at the end of the filter$'
expect "filter on a missing trace" 1 "$e2ctl" filter 'tcp' "$tmp/none.pcap"
expect "filter usage" 2 "$e2ctl" filter 'tcp'

[ "$fails" -eq 0 ] && echo "all e2ctl checks passed" || echo "$fails e2ctl checks failed"
exit $((fails != 0))
