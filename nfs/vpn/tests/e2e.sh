#!/usr/bin/env bash
# e2nf-vpn against Linux's own IPsec, end to end.
#
#   left (10.1.0.2) --veth-- e2d [vpn0: e2nf-vpn, tunnel endpoint 192.0.2.1] --veth-- right
#
# "right" is Linux terminating the tunnel with xfrm (ESP, tunnel mode,
# rfc4106(gcm(aes)) with a 128-bit ICV): endpoint 192.0.2.2, owner of
# 10.2.0.1. This host's kernel may lack ESP (CONFIG_INET_ESP), so that Linux
# runs as a user-mode Linux guest in the "right" namespace (tests/uml.sh),
# bound to the veth by a raw socket. Frames keep their MACs: both hosts have
# static neighbours with each other's MAC, the NF is a bump in the wire.
#
#   1. ping 10.2.0.1 from left and 10.1.0.2 from right;
#   2. a 4 MiB HTTP transfer each way, checked by SHA-256;
#   3. Linux's xfrm counters show the packets and no errors, and agree with
#      the NF's SA counters (exactly for the pings; under TCP the guest may
#      lose frames before its IP stack, so there every frame the NF sealed
#      must reach the guest's link and every one Linux read must open);
#   4. a captured ESP packet from Linux, re-injected, is dropped as a replay;
#      the same with a forged sequence number fails authentication; both
#      are counted and traffic goes on;
#   5. the keys appear nowhere in the NF's output, statistics or logs.
#
# Usage: e2e.sh E2D E2CTL E2NF-VPN            (root, hugepages, user-mode-linux)
set -euo pipefail
E2D=$1 E2CTL=$2 VPN=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../../tests/integration/lib.sh"
source "$here/uml.sh"
require_root_hugepages
uml_available || { echo "SKIP: needs user-mode-linux (scripts/deps.sh installs it)"; exit 77; }
PY=/usr/bin/python3 # the guest runs the host's binaries: use the system's python in both

tag=$$
left=vpnL$tag right=vpnR$tag lanif=vpl$tag wanif=vpw$tag
dir=$(mktemp -d) sock=
sock=$dir/e2d.sock ctl=$dir/vpn.ctl
cleanup() {
  uml_stop
  "$E2CTL" dp -s "$sock" quit >/dev/null 2>&1 || true
  sleep 0.3
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  ip link del "$lanif" 2>/dev/null || true
  ip link del "$wanif" 2>/dev/null || true
  ip netns del "$left" 2>/dev/null || true
  ip netns del "$right" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -z "${VPN_E2E_HOLD:-}" ] || { echo "holding for $VPN_E2E_HOLD s: $dir" >&2; sleep "$VPN_E2E_HOLD"; }
  "$E2CTL" nf -s "$ctl" stats >&2 || true
  uml_run 'ip -s xfrm state; cat /proc/net/xfrm_stat' >&2 || true
  exit 1
}
json() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
sa_field() { "$E2CTL" nf -s "$ctl" sas | json "next(s for s in d if s['spi']=='$1')['$2']"; }
nf_stat() { "$E2CTL" nf -s "$ctl" stats | json "d['nf']$1"; }

# Fresh keys for every run: 32 bytes of AES-256 key and 4 of salt each.
key() { echo "0x$(od -An -tx1 -N36 /dev/urandom | tr -d ' \n')"; }
key_lr=$(key) key_rl=$(key)
uml_mac=02:e2:00:00:00:02

echo "== setup: namespaces, e2d with the VPN NF, Linux with xfrm"
ip netns add "$left"
ip netns add "$right"
ip link add "$lanif" type veth peer name l0
ip link add "$wanif" type veth peer name r0
ip link set l0 netns "$left"
ip link set r0 netns "$right"
for i in "$lanif" "$wanif"; do
  sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
  ip link set "$i" up
done
for ns in "$left" "$right"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns" ip link set lo up
done
# AF_PACKET hands e2d what the veth carries: whole checksums, no GSO/GRO
# super-frames (a real NIC's receive side), so no offloads on these links.
ip netns exec "$left" ethtool -K l0 tx off tso off gso off >/dev/null
for i in "$lanif" "$wanif"; do ethtool -K "$i" tx off tso off gso off gro off >/dev/null; done
ip -n "$right" link set r0 up
ip -n "$left" link set l0 up
ip -n "$left" addr add 10.1.0.2/24 dev l0
# 1400 bytes inside leaves room for the tunnel's 57 within 1500 outside
ip -n "$left" route add 10.2.0.0/24 via 10.1.0.1 dev l0 mtu 1400
ip -n "$left" neigh add 10.1.0.1 lladdr "$uml_mac" dev l0 nud permanent
# The guest reads its link through a host socket of ~200 KB: left's TCP,
# paced, does not overrun it (what is lost there never reaches xfrm).
ip netns exec "$left" tc qdisc add dev l0 root tbf rate 40mbit burst 32kb latency 100ms
left_mac=$(ip netns exec "$left" cat /sys/class/net/l0/address)

cat >"$dir/vpn.conf" <<CONF
# left's gateway: endpoint 192.0.2.1, Linux's is 192.0.2.2
sa out spi 0x1001 src 192.0.2.1 dst 192.0.2.2 key $key_lr match 10.2.0.0/24 local 10.1.0.0/24
sa in  spi 0x2001 src 192.0.2.2 dst 192.0.2.1 key $key_rl match 10.2.0.0/24 local 10.1.0.0/24 window 64
CONF
cat >"$dir/e2d.conf" <<CONF
port lan(vdev="net_af_packet_vpl$tag,iface=$lanif,framecnt=4096");
port wan(vdev="net_af_packet_vpw$tag,iface=$wanif,framecnt=4096");
nf vpn0(ports=[in, to_wan, to_lan]);
vin :: VPort(nf=vpn0, port=in);
PortInc(port=lan) -> vin;
PortInc(port=wan) -> vin;
VPort(nf=vpn0, port=to_wan) -> PortOut(port=wan);
VPort(nf=vpn0, port=to_lan) -> PortOut(port=lan);
CONF
"$E2D" -n "vpn$tag" -m 256 -s "$sock" -c "$dir/e2d.conf" >"$dir/e2d.log" 2>&1 &
wait_socket "$sock" || { cat "$dir/e2d.log"; exit 1; }
"$VPN" -n vpn0 -s "$sock" -c "$dir/vpn.conf" --ctl "$ctl" >"$dir/vpn.out" 2>"$dir/vpn.err" &
vpn_pid=$!
for ((i = 0; i < 100; i++)); do [ -S "$ctl" ] && break; sleep 0.1; done
[ -S "$ctl" ] || { cat "$dir/vpn.err"; fail "the NF did not start"; }

uml_start "$right" r0 "$dir/uml" || fail "the Linux guest did not boot"
uml_run "
set -e
modprobe esp4
modprobe xfrm_user
ip link set vec0 address $uml_mac
ip link set vec0 up
ip addr add 192.0.2.2/24 dev vec0
ip addr add 10.2.0.1/32 dev lo
ip neigh add 192.0.2.1 lladdr $left_mac dev vec0 nud permanent
ip route add 10.1.0.0/24 via 192.0.2.1 dev vec0 src 10.2.0.1 mtu 1400
ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 mode tunnel \
   replay-window 64 aead 'rfc4106(gcm(aes))' $key_lr 128
ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001 reqid 2 mode tunnel \
   aead 'rfc4106(gcm(aes))' $key_rl 128
ip xfrm policy add dir out src 10.2.0.0/24 dst 10.1.0.0/24 \
   tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 2 mode tunnel
ip xfrm policy add dir in src 10.1.0.0/24 dst 10.2.0.0/24 \
   tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
echo \"Linux \$(uname -r): \$(ip xfrm state count) SAs, \$(ip xfrm policy count) policies\"
" || fail "xfrm setup in the Linux guest"

# "packets bytes replay failed" of the guest's xfrm state with SPI $1
xfrm() {
  uml_run 'ip -s xfrm state' >"$dir/xfrm.txt"
  "$PY" - "$dir/xfrm.txt" "$1" <<'PY'
import re, sys
blocks = re.split(r"^src ", open(sys.argv[1]).read(), flags=re.M)
b = next(x for x in blocks if "spi 0x%08x" % int(sys.argv[2], 16) in x)
cur = re.search(r"lifetime current:\s+(\d+)\(bytes\), (\d+)\(packets\)", b)
st = re.search(r"stats:\s+replay-window \d+ replay (\d+) failed (\d+)", b)
print(cur.group(2), cur.group(1), st.group(1), st.group(2))
PY
}

echo "== 1. ping through the tunnel, both ways"
ip netns exec "$left" ping -c 5 -i 0.2 -W 3 10.2.0.1 >"$dir/ping1" || { cat "$dir/ping1"; fail "left cannot ping 10.2.0.1"; }
tail -2 "$dir/ping1" | head -1
# Capture one of Linux's ESP packets on its way in, for the replay in step 4.
"$PY" - "$wanif" "$dir/captured" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
s.settimeout(60)
while True:
    f = s.recv(65535)
    if len(f) > 60 and f[12:14] == b"\x08\x00" and f[23] == 50 and f[34:38] == bytes.fromhex("00002001"):
        open(sys.argv[2], "wb").write(f)
        break
PY
capture=$!
sleep 0.5
uml_run "ping -c 5 -i 0.2 -W 3 10.1.0.2" >"$dir/ping2" || { cat "$dir/ping2"; fail "Linux cannot ping 10.1.0.2"; }
tail -2 "$dir/ping2" | head -1
wait $capture || fail "no ESP packet from Linux was captured"
read -r lx_in _ _ _ <<<"$(xfrm 0x1001)"
read -r lx_out _ _ _ <<<"$(xfrm 0x2001)"
r="$(sa_field 0x1001 packets) $lx_in $lx_out $(sa_field 0x2001 packets)"
[ "$r" = "10 10 10 10" ] || fail "(NF sealed, Linux opened, Linux sealed, NF opened) = $r, want 10 each"
echo "  10 packets each way: sealed by one side, opened by the other, counted alike"

echo "== 2. 4 MiB over TCP each way"
head -c 4194304 /dev/urandom >"$dir/to_left.bin"
head -c 4194304 /dev/urandom >"$dir/to_right.bin"
uml_run "cd $dir && (nohup $PY -m http.server 8000 --bind 10.2.0.1 >/dev/null 2>&1 &)" >/dev/null
(cd "$dir" && exec ip netns exec "$left" "$PY" -m http.server 8001 --bind 10.1.0.2 >/dev/null 2>&1) &
fetch='import hashlib, sys, time, urllib.request
for i in range(300):  # the server may take a while to listen on a loaded machine
    try:
        data = urllib.request.urlopen(sys.argv[1], timeout=30).read()
        break
    except OSError:  # URLError: refused while the server starts
        time.sleep(0.2)
print(len(data), hashlib.sha256(data).hexdigest())'
got=$(ip netns exec "$left" "$PY" -c "$fetch" http://10.2.0.1:8000/to_left.bin) || fail "left's download failed"
want="4194304 $(sha256sum "$dir/to_left.bin" | cut -d' ' -f1)"
[ "$got" = "$want" ] || fail "left got ($got), Linux served ($want)"
echo "  right -> left: $got"
got=$(uml_run "$PY -c '$fetch' http://10.1.0.2:8001/to_right.bin") || fail "Linux's download failed: $got"
want="4194304 $(sha256sum "$dir/to_right.bin" | cut -d' ' -f1)"
[ "$got" = "$want" ] || fail "Linux got ($got), left served ($want)"
echo "  left -> right: $got"

echo "== 3. Linux's xfrm counters and the NF's agree"
read -r lx_in lx_in_bytes lx_in_replay lx_in_failed <<<"$(xfrm 0x1001)"
read -r lx_out lx_out_bytes _ _ <<<"$(xfrm 0x2001)"
nf_out=$(sa_field 0x1001 packets) nf_in=$(sa_field 0x2001 packets)
# Under TCP's bursts the guest may lose frames in the host socket it reads
# its link from, before its IP stack and xfrm see them (left's TCP resends
# them): every frame the NF sealed reached Linux's link (the veth's count);
# Linux opened each one it read, none failed (below).
wire=$(ip netns exec "$right" cat /sys/class/net/r0/statistics/rx_packets)
resent=$(ip netns exec "$left" nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}')
echo "  left -> right (SPI 0x1001): NF sealed $nf_out, Linux's link got $wire, Linux opened $lx_in (left's TCP resent $resent)"
echo "  right -> left (SPI 0x2001): Linux sealed $lx_out, NF opened $nf_in"
[ "$nf_out" -gt 1000 ] && [ "$nf_in" -gt 1000 ] || fail "too few packets through the tunnel"
[ "$wire" = "$nf_out" ] || fail "SPI 0x1001: the NF sealed $nf_out packets, Linux's link got $wire"
[ "$lx_in" -le "$nf_out" ] && [ "$lx_in" -ge $((nf_out * 8 / 10)) ] ||
  fail "SPI 0x1001: the NF sealed $nf_out packets, Linux opened $lx_in"
[ "$nf_in" = "$lx_out" ] || fail "SPI 0x2001: Linux sealed $lx_out packets, the NF opened $nf_in"
[ "$lx_in_replay $lx_in_failed" = "0 0" ] || fail "Linux refused some of the NF's packets"
errors=$(uml_run 'cat /proc/net/xfrm_stat' | awk '$2 != 0' | tr '\n' ' ')
[ -z "$errors" ] || fail "Linux's xfrm error counters: $errors"
echo "  Linux: no replay, integrity or state errors (/proc/net/xfrm_stat all zero)"
r=$("$E2CTL" nf -s "$ctl" stats | json "d['nf']['no_sa'], d['nf']['no_policy'], d['nf']['unprotected'], \
  sum(s.get(k, 0) for s in d['nf']['sas'] for k in ('auth_failed', 'replay', 'bad_pad', 'selector', 'too_big'))")
[ "$r" = "0 0 0 0" ] || fail "the NF dropped tunnel traffic: (no_sa, no_policy, unprotected, errors) = $r"

echo "== 4. a replayed and a forged ESP packet are dropped and counted"
inject='import socket, sys
f = bytearray(open(sys.argv[2], "rb").read())
if len(sys.argv) > 3:  # forge: a sequence number never sent
    f[38:42] = bytes.fromhex(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for _ in range(int(sys.argv[4]) if len(sys.argv) > 4 else 3):
    s.send(f)'
ip netns exec "$right" "$PY" -c "$inject" r0 "$dir/captured"
ip netns exec "$right" "$PY" -c "$inject" r0 "$dir/captured" 7fffffff 1
for ((i = 0; i < 50; i++)); do
  [ "$(sa_field 0x2001 replay) $(sa_field 0x2001 auth_failed)" = "3 1" ] && break
  sleep 0.1
done
r="$(sa_field 0x2001 replay) $(sa_field 0x2001 auth_failed) $(sa_field 0x2001 packets)"
[ "$r" = "3 1 $nf_in" ] || fail "(replay, auth_failed, packets) of SA 0x2001 = $r, want 3 1 $nf_in"
echo "  SA 0x2001: 3 replays and 1 forgery dropped, nothing delivered"
uml_run "ping -c 2 -i 0.2 -W 3 10.1.0.2" >/dev/null || fail "no traffic after the replays"
[ "$(sa_field 0x2001 packets)" = "$((nf_in + 2))" ] || fail "the window did not take new packets"
echo "  traffic goes on: 2 more pings through"

echo "== 5. keys stay secret"
"$E2CTL" nf -s "$ctl" sas >"$dir/sas.json"
"$E2CTL" nf -s "$ctl" stats >"$dir/stats.json"
kill -INT $vpn_pid
wait $vpn_pid || fail "the NF did not exit cleanly"
for k in "${key_lr#0x}" "${key_rl#0x}"; do
  for f in "$dir/sas.json" "$dir/stats.json" "$dir/vpn.out" "$dir/vpn.err" "$dir/e2d.log"; do
    grep -qi "${k:0:16}" "$f" && fail "a key shows in $f"
  done
done
grep -q '"sas"' "$dir/vpn.out" || fail "no exit statistics"
echo "  not in the NF's SA list, statistics, exit line, messages or e2d's log"
echo "PASS"
