#!/usr/bin/env bash
# e2nf-monitor end to end: e2d Sources send known flows through the monitor
#   - 10 UDP flows x 100 packets of 100 bytes (ends: idle timeout),
#   - 4 TCP flows to port 80 x 50 ACKs, then one FIN each (ends: FIN),
#   - 1 UDP flow of 150 packets over 3 s (active-timeout updates, then idle);
# the JSON-lines export and an IPFIX collector (ipfix_collector.py, its own
# RFC 7011 parser) must both report exactly those flows, packets and bytes,
# with the right end reasons; every packet passes on, tagged with its
# application class (Monitor.app: http for the TCP flows, other for UDP).
# Usage: e2e.sh E2D E2CTL E2NF-MONITOR      (root, hugepages)
set -euo pipefail
E2D=$1 E2CTL=$2 MON=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../tests/integration/lib.sh"
require_root_hugepages

nf_test_begin
ctl=$dir/mon.ctl
fail() {
  echo "FAIL: $*" >&2
  cat "$dir/mon.err" >&2 || true
  exit 1
}

python3 "$here/ipfix_collector.py" 0 "$dir/port" "$dir/ipfix.json" &
collector=$!
wait_for 5 test -s "$dir/port" || fail "the collector did not start"

mac='dst_mac="02:00:00:00:00:02", src_mac="02:00:00:00:00:01"'
cat >"$dir/e2d.conf" <<CONF
tag(name="Monitor.app", slot=0);
nf mon(ports=[in, out], ring_size=4096);
vin :: VPort(nf=mon, port=in);
VPort(nf=mon, port=out) -> mm :: MetadataMatch(rules=[{tag="Monitor.app", value=0, gate=0},
    {tag="Monitor.app", value=3, gate=1}], default_gate=2);
mm[0] -> http :: Sink();
mm[1] -> other :: Sink();
mm[2] -> untagged :: Sink();
CONF
start_e2d "e2mon$$" "$dir/e2d.conf"

cat >"$dir/mon.conf" <<CONF
idle-timeout 2s
active-timeout 1s
fin-linger 500ms
json $dir/flows.jsonl
ipfix 127.0.0.1:$(cat "$dir/port") domain 9
CONF
"$MON" -n mon -s "$sock" -c "$dir/mon.conf" --ctl "$ctl" >"$dir/mon.out" 2>"$dir/mon.err" &
mon=$!
wait_for 10 test -S "$ctl" || fail "the monitor did not start"

echo "== 1. known flows through e2d and the monitor"
cat >"$dir/traffic.conf" <<CONF
udp :: Source(templates=[{src_ip="10.0.0.1-10.0.0.5", dst_ip="10.1.0.1", src_port="1000-1001",
    dst_port=5000, proto=udp, size=100, $mac}], rate=20000, limit=1000) -> vin;
tcp :: Source(templates=[{src_ip="10.0.1.1-10.0.1.2", dst_ip="10.1.0.2", src_port="2000-2001",
    dst_port=80, proto=tcp, tcp_flags=16, size=54, $mac}], rate=20000, limit=200) -> vin;
long :: Source(templates=[{src_ip="10.0.2.1", dst_ip="10.1.0.3", src_port=3000, dst_port=6000,
    proto=udp, size=200, $mac}], rate=50, burst=1, limit=150) -> vin;
CONF
"$E2CTL" dp -s "$sock" load "$dir/traffic.conf" >/dev/null || fail "cannot add the Sources"
for ((i = 0; i < 100; i++)); do
  [ "$(stat "$sock" tcp packets)" -ge 200 ] && break
  sleep 0.1
done
sleep 0.2
cat >"$dir/fin.conf" <<CONF
fin :: Source(templates=[{src_ip="10.0.1.1-10.0.1.2", dst_ip="10.1.0.2", src_port="2000-2001",
    dst_port=80, proto=tcp, tcp_flags=17, size=54, $mac}], limit=4) -> vin;
CONF
"$E2CTL" dp -s "$sock" load "$dir/fin.conf" >/dev/null || fail "cannot add the FIN Source"
top=$("$E2CTL" nf -s "$ctl" top n=3) || fail "top refused"
r=$(json "[(f['src_ip'], f['bytes_total']) for f in d]" <<<"$top")
json "len(d) == 3 and all(a['bytes_total'] >= b['bytes_total'] for a, b in zip(d, d[1:])) and
  d[2]['bytes_total'] >= 8600" <<<"$top" | grep -q True || fail "top n=3 is not the 3 biggest flows: $r"
echo "  top n=3: $r"
# the long flow lasts 3 s, then idles 2 s; sweeps see it within a few hundred ms
for ((i = 0; i < 150; i++)); do
  n=$("$E2CTL" nf -s "$ctl" stats | json "d['nf']['flows_active']")
  sent=$(stat "$sock" long packets)
  [ "$n" -eq 0 ] && [ "$sent" -eq 150 ] && break
  sleep 0.1
done
[ "$n" -eq 0 ] || fail "$n flows still active after their timeouts"

r=$("$E2CTL" dp -s "$sock" --json modules | json "{m['name']: m.get('stats', {}).get('packets') for m in d}")
echo "  sinks: $r"
python3 -c "import sys; d = $r; sys.exit(0 if (d['http'], d['other'], d['untagged']) == (204, 1150, 0) else 1)" ||
  fail "the packets that passed (http, other, untagged) are not (204, 1150, 0): $r"
stats=$("$E2CTL" nf -s "$ctl" stats)
r=$(json "d['nf']['flows_created'], d['nf']['records']['idle'], d['nf']['records']['eof'], d['nf']['records']['active'] >= 2" <<<"$stats")
[ "$r" = "15 11 4 True" ] || fail "monitor stats (flows, idle, eof, active>=2) = $r"
kill -TERM $mon
wait $mon || fail "the monitor did not exit cleanly"
python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'STOP', ('127.0.0.1', $(cat "$dir/port")))"
wait $collector

echo "== 2. the JSON lines and the IPFIX collector report exactly those flows"
python3 - "$dir/flows.jsonl" "$dir/ipfix.json" <<'PY' || fail "the exports differ from the traffic"
import ipaddress, json, sys
jl = [json.loads(l) for l in open(sys.argv[1])]
ix = json.load(open(sys.argv[2]))
assert not ix["errors"], ix["errors"]
assert ix["templates"] == 1 and ix["messages"] >= 2, (ix["templates"], ix["messages"])

# expected: 5-tuple -> (packets, IP bytes, tcp flags, final reason)
want = {}
for a in range(1, 6):
    for p in (1000, 1001):
        want[(f"10.0.0.{a}", "10.1.0.1", p, 5000, 17)] = (100, 100 * 86, 0, "idle")
for a in (1, 2):
    for p in (2000, 2001):
        want[(f"10.0.1.{a}", "10.1.0.2", p, 80, 6)] = (51, 51 * 40, 0x11, "eof")
want[("10.0.2.1", "10.1.0.3", 3000, 6000, 17)] = (150, 150 * 186, 0, "idle")
reasons = {1: "idle", 2: "active", 3: "eof", 4: "forced", 5: "evicted"}

def check(name, recs):
    got = {}
    for k, pk, by, fl, why, start, end in recs:
        g = got.setdefault(k, [0, 0, 0, [], start, end])
        g[0] += pk; g[1] += by; g[2] = fl; g[3].append(why)
        g[4] = min(g[4], start); g[5] = max(g[5], end)
    assert set(got) == set(want), f"{name}: flows {sorted(set(got) ^ set(want))} differ"
    for k, (pk, by, fl, why) in want.items():
        g = got[k]
        assert (g[0], g[1], g[2], g[3][-1]) == (pk, by, fl, why), f"{name}: {k}: {g} != {want[k]}"
        assert all(w == "active" for w in g[3][:-1]), f"{name}: {k}: {g[3]}"
        assert 0 <= g[5] - g[4] < 10000, f"{name}: {k}: duration {g[5] - g[4]} ms"
    long = got[("10.0.2.1", "10.1.0.3", 3000, 6000, 17)]
    # 150 packets at 50 per second (a busy e2d may pace a little slower)
    assert len(long[3]) >= 3 and 2500 <= long[5] - long[4] <= 6000, f"{name}: long flow {long}"
    print(f"  {name}: {len(recs)} records, {len(got)} flows, as sent")

check("json", [((r["src_ip"], r["dst_ip"], r["src_port"], r["dst_port"], r["proto"]),
                r["packets"], r["bytes"], r["tcp_flags"], r["reason"], r["start_ms"], r["end_ms"])
               for r in jl])
assert all(r["app"] == ("http" if r["proto"] == 6 else "other") for r in jl), "app classes"
check("ipfix", [((str(ipaddress.IPv4Address(r["sourceIPv4Address"])),
                  str(ipaddress.IPv4Address(r["destinationIPv4Address"])),
                  r["sourceTransportPort"], r["destinationTransportPort"], r["protocolIdentifier"]),
                 r["packetDeltaCount"], r["octetDeltaCount"], r["tcpControlBits"],
                 reasons[r["flowEndReason"]], r["flowStartMilliseconds"], r["flowEndMilliseconds"])
                for r in ix["records"]])
assert all(r["_domain"] == 9 for r in ix["records"])
# each message's sequence number counts the data records sent before it
per_msg = {}
for r in ix["records"]:
    per_msg[r["_seq"]] = per_msg.get(r["_seq"], 0) + 1
seqs = sorted(per_msg)
assert seqs[0] == 0 and all(b == a + per_msg[a] for a, b in zip(seqs, seqs[1:])), per_msg
PY
echo "PASS"
