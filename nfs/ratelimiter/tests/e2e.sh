#!/usr/bin/env bash
# e2nf-ratelimiter end to end: two e2d Sources at known rates into vp0
# (priority 0, TOS 0) and vp1 (priority 1, TOS 4); the output goes through a
# HeaderMatch that splits it by TOS into two Sinks, so what arrived of each
# class is counted at the far end. A paced Source keeps at most 32 packets
# of credit, so on a busy machine it may offer a little less than asked:
# expectations use the rates the Sources measured.
#   1. link 80 Mbit/s, 48 + 96 Mbit/s offered: the output holds 80 Mbit/s
#      (within 4%; the burst of 1 MB, 100 ms at the rate, makes up for the
#      NF being descheduled on a loaded machine),
#      priority 0 passes whole, priority 1 gets the rest, its overflow counted;
#   2. reload with priority 0 limited to 24 Mbit/s: it gets 24, priority 1
#      the other 56;
#   3. a bad configuration is refused with FILE:LINE and the limits stay.
# Usage: e2e.sh E2D E2CTL E2NF-RATELIMITER      (root, hugepages)
set -euo pipefail
[ -n "${RL_DEBUG:-}" ] && set -x
E2D=$1 E2CTL=$2 RL=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../tests/integration/lib.sh"
require_root_hugepages

nf_test_begin
ctl=$dir/rl.ctl
fail() {
  echo "FAIL: $*" >&2
  cat "$dir/rl.err" >&2 || true
  "$E2CTL" nf -s "$ctl" stats >&2 || true
  "$E2CTL" nf -s "$ctl" classes >&2 || true
  "$E2CTL" dp -s "$sock" nfs >&2 || true
  exit 1
}

# 1000-byte frames: 6000 pps = 48 Mbit/s on vp0, 12000 pps = 96 Mbit/s on vp1
tmpl() { echo "{src_ip=\"10.0.0.$1\", dst_ip=\"10.1.0.1\", proto=udp, src_port=1000, dst_port=5000, size=1000, tos=$2}"; }
cat >"$dir/e2d.conf" <<CONF
nf rl(ports=[vp0, vp1, out], ring_size=4096);
s0 :: Source(templates=[$(tmpl 1 0)], rate=6000) -> VPort(nf=rl, port=vp0);
s1 :: Source(templates=[$(tmpl 2 4)], rate=12000) -> VPort(nf=rl, port=vp1);
VPort(nf=rl, port=out) -> hm :: HeaderMatch(rules=[{tos=0, gate=0}, {tos=4, gate=1}]);
hm[0] -> out0 :: Sink();
hm[1] -> out1 :: Sink();
CONF
start_e2d "e2rl$$" "$dir/e2d.conf"

cat >"$dir/rl.conf" <<'CONF'
# the output link; both classes unlimited on their own; queues deep
# enough to ride out the NF being descheduled on a busy machine
link rate 80Mbit burst 1m
class prio0 queue 4096
class prio1 queue 2048
CONF
"$RL" -n rl -s "$sock" -c "$dir/rl.conf" --ctl "$ctl" ${RL_ARGS:-} >"$dir/rl.out" 2>"$dir/rl.err" &
wait_for 10 test -S "$ctl" || fail "the rate limiter did not start"

# Sample "time, source packets, sink packets and bytes per class" from one
# e2ctl call, then "time, prio1 drops" from the NF.
sample() {
  python3 - "$E2CTL" "$sock" "$ctl" <<'PY'
import json, subprocess, sys, time
e2ctl, sock, ctl = sys.argv[1:]
t = time.monotonic()
m = {x["name"]: x.get("stats", {}) for x in json.loads(subprocess.check_output([e2ctl, "dp", "-s", sock, "--json", "modules"]))}
t = (t + time.monotonic()) / 2
tn = time.monotonic()
nf = json.loads(subprocess.check_output([e2ctl, "nf", "-s", ctl, "stats"]))["nf"]
tn = (tn + time.monotonic()) / 2
q = json.loads(subprocess.check_output([e2ctl, "nf", "-s", ctl, "classes"]))["prio1"]["queued"]
print(t, m["s0"]["packets"], m["s1"]["packets"], m["out0"]["packets"], m["out0"]["bytes"],
      m["out1"]["packets"], m["out1"]["bytes"], tn, nf["prio1"]["overflow_drops"], q)
PY
}
# measure: sets OFF0 OFF1 (offered pps), OUT0 OUT1 (delivered Mbit/s), SENT1, DROP1 and
# QUEUE1 (the change of priority 1's queue, in pps)
measure() {
  sleep 1.5 # settle: queues fill, buckets drain
  local a b
  a=$(sample)
  sleep 4
  b=$(sample)
  read -r OFF0 OFF1 OUT0 OUT1 SENT1 DROP1 QUEUE1 < <(python3 -c "
a, b = [float(x) for x in '$a'.split()], [float(x) for x in '$b'.split()]
dt, dn = b[0] - a[0], b[7] - a[7]
d = [(y - x) / dt for x, y in zip(a, b)]
print(f'{d[1]:.0f} {d[2]:.0f} {d[4] * 8 / 1e6:.2f} {d[6] * 8 / 1e6:.2f} {d[5]:.0f}',
      f'{(b[8] - a[8]) / dn:.0f} {(b[9] - a[9]) / dn:.0f}')")
  echo "  offered $OFF0 + $OFF1 pps; delivered prio0 $OUT0 + prio1 $OUT1 Mbit/s; prio1 drops $DROP1 pps"
}
near() { # VALUE WANT PERCENT
  python3 -c "import sys; v, w, p = map(float, sys.argv[1:]); sys.exit(0 if abs(v - w) <= w * p / 100 else 1)" "$@"
}

echo "== 1. link 80 Mbit/s: priority 0 first, priority 1 the rest, its drops counted"
measure
mbit0=$(python3 -c "print($OFF0 * 8000 / 1e6)") mbit1=$(python3 -c "print($OFF1 * 8000 / 1e6)")
python3 -c "import sys; sys.exit(0 if $mbit0 < 70 and $mbit0 + $mbit1 > 88 else 1)" ||
  fail "the sources offer $mbit0 + $mbit1 Mbit/s: not an overload of the link"
total=$(python3 -c "print($OUT0 + $OUT1)")
near "$total" 80 4 || fail "output $total Mbit/s, not the 80 Mbit/s link"
near "$OUT0" "$mbit0" 3 || fail "priority 0 got $OUT0 Mbit/s of the $mbit0 it offered"
# every packet offered to priority 1 was delivered, dropped on overflow, or is still queued
near "$((SENT1 + DROP1 + QUEUE1))" "$OFF1" 5 ||
  fail "priority 1: sent $SENT1 + dropped $DROP1 + queued $QUEUE1 pps, not the $OFF1 offered"
python3 -c "import sys; sys.exit(0 if $DROP1 > 0.2 * $OFF1 else 1)" || fail "priority 1 drops only $DROP1 pps"
r=$("$E2CTL" nf -s "$ctl" stats | json "d['nf']['prio0']['overflow_drops'], d['nf']['prio0']['oversize_drops']")
[ "$r" = "0 0" ] || fail "priority 0 lost packets: (overflow, oversize) = $r"
echo "  output at the link rate; priority 0 whole; priority 1's overflow counted"

echo "== 2. reload: priority 0 limited to 24 Mbit/s, priority 1 takes the other 56"
cat >"$dir/rl.conf" <<'CONF'
link rate 80Mbit burst 1m
class prio0 rate 24Mbit burst 256k queue 4096
class prio1 queue 2048
CONF
"$E2CTL" nf -s "$ctl" reload >/dev/null || fail "reload refused"
measure
near "$OUT0" 24 3 || fail "priority 0 got $OUT0 Mbit/s, not its 24"
total=$(python3 -c "print($OUT0 + $OUT1)")
want=$(python3 -c "print(min(80, 24 + $OFF1 * 8000 / 1e6))") # priority 1 takes what 0 leaves
near "$total" "$want" 4 || fail "output $total Mbit/s, not $want"
r=$("$E2CTL" nf -s "$ctl" classes | json "d['prio0']['rate_bps'], d['link']['rate_bps']")
[ "$r" = "24000000 80000000" ] || fail "classes says (prio0, link) rate = $r"
echo "  the new limits hold"

echo "== 3. a bad configuration is refused, the running one stays"
printf 'link rate 80Mbit\nclass prio3 rate 1G\n' >"$dir/rl.conf"
out=$("$E2CTL" nf -s "$ctl" reload 2>&1) && fail "a bad configuration was accepted"
echo "$out" | grep -q "rl.conf:2: class 'prio3' is not one of prio0, prio1" || fail "unclear refusal: $out"
r=$("$E2CTL" nf -s "$ctl" classes | json "d['prio0']['rate_bps']")
[ "$r" = 24000000 ] || fail "the refused reload changed the limits ($r)"
echo "  refused with FILE:LINE; limits unchanged"
echo "PASS"
