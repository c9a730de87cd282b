#!/usr/bin/env bash
# Bytestream vports (paper §7.1, Fig. 7): the CPU cycles three DPI NFs take
# for the same traffic, each reassembling TCP itself (Library) or reading
# the bytestream of one TCP NF (ByteStream).
#
#   Library:    replay -> SIG -> HTTP -> RE -> Sink        (each reassembles)
#   ByteStream: replay -> TCP -> Sink; TCP's messages -> SIG -> HTTP -> RE
#
# Traffic: gen_http.py's web trace (HTTP/1.1 connections, delayed ACKs, a
# web object size mix, page pieces shared for RE, signatures for SIG),
# played once by bench-replay, a native NF that sends it at the pace the
# chain takes it: every hop is a reliable VPort with 1024-entry rings, so
# the slowest NF sets the pace and nothing is dropped (checked, as is that
# every NF saw every byte and both modes found the same). SIG runs Hyperscan
# (ENGINE=ac: our Aho-Corasick) over 500 patterns.
#
# Measured, per NF: its processing cycles — the CPU time of its thread
# while it handles units (the stream app's busy_ns: CLOCK_THREAD_CPUTIME_ID
# around each burst it handles, so no idle polling, naps while the next NF
# is full, or preemption) times the clock rate. The NFs run --poll, pinned
# together to the last CPU (context switches between them are few: whole
# time slices), e2d's worker and the replay to the first. The modes run in
# turn RUNS times each (3; --quick: 1, on a smaller trace); the totals are
# medians, the ratio the median of the runs' ratios.
# (Their process CPU time is not a measure here: NFs that poll on a shared
# core use it all.)
#
# Usage: bench/bytestream/bytestream.sh [--quick] [BUILD_DIR]   (root, hugepages)
CONNS=${CONNS:-1000} RUNS=${RUNS:-3} ENGINE=${ENGINE:-hyperscan}
source "$(dirname "$0")/chain.sh"
RING=1024
python3 - "$dir/patterns.sig" <<'PY'
# 500 patterns: the trace's signatures, and words and phrases that are rarer
import random, sys
rnd = random.Random(1)
sigs = ["/bin/sh -c", "cmd.exe", "<script>alert(", "UNION SELECT", "../../etc/passwd"]
with open(sys.argv[1], "w") as f:
    for i, s in enumerate(sigs):
        f.write('s%d "%s" nocase\n' % (i, s))
    for i in range(495):
        word = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randrange(5, 12)))
        f.write("p%d %s\n" % (i, word))
PY
echo "trace: $(cat "$dir/gen.txt"), $CONNS connections; SIG on $ENGINE; NFs on CPU $CPU_NF, e2d and the replay on CPU $CPU_E2D; $(awk -v h="$hz" 'BEGIN {printf "%.2f", h / 1e9}') GHz"

# Until NF took WANT units (60 s); then its busy CPU (ns, from its stats).
done_nf() { # NF WANT
  local i st
  for ((i = 0; i < 1200; i++)); do
    st=$("$E2CTL" nf -s "$dir/$1.ctl" stats)
    [ "$(json "d['nf']['units']" <<<"$st")" = "$2" ] && break
    sleep 0.05
  done
  [ "$(json "d['nf']['units']" <<<"$st")" = "$2" ] || die "$1 took $(json "d['nf']['units']" <<<"$st") units, not $2"
  busy[$1]=$(json "d['nf']['busy_ns']" <<<"$st")
}
cycles() { awk -v ns="$1" -v h="$hz" 'BEGIN {printf "%.0f", ns * h / 1e9}'; }

# One run of MODE (library | bytestream): sets BUSY (processing cycles) and PER (per NF).
run() {
  local mode=$1 first nfs
  sock=$dir/$mode.sock
  rm -f "$dir"/*.ctl
  {
    echo "nf replay(ports=[out], ring_size=$RING);"
    if [ "$mode" = library ]; then
      first=sig nfs="sig http re"
      for nf in sig http re; do echo "nf $nf(ports=[in, out], ring_size=$RING);"; done
      echo "VPort(nf=sig, port=out, reliable=true) -> VPort(nf=http, port=in);"
      echo "VPort(nf=http, port=out, reliable=true) -> VPort(nf=re, port=in);"
      echo "VPort(nf=re, port=out) -> Sink();"
    else
      first=tcp nfs="tcp sig http re"
      echo "nf tcp(ports=[in, out, bs], ring_size=$RING);"
      for nf in sig http; do echo "nf $nf(ports=[bs, bs_out], ring_size=$RING);"; done
      echo "nf re(ports=[bs], ring_size=$RING);"
      echo "VPort(nf=tcp, port=out) -> Sink();"
      echo "VPort(nf=tcp, port=bs, reliable=true) -> VPort(nf=sig, port=bs);"
      echo "VPort(nf=sig, port=bs_out, reliable=true) -> VPort(nf=http, port=bs);"
      echo "VPort(nf=http, port=bs_out, reliable=true) -> VPort(nf=re, port=bs);"
    fi
    echo "VPort(nf=replay, port=out, reliable=true) -> VPort(nf=$first, port=in);"
  } >"$dir/$mode.conf"
  "$E2D" -n "bs$mode$tag" --cpus "$CPU_E2D" -m 256 -s "$sock" -c "$dir/$mode.conf" \
    >"$dir/e2d-$mode.log" 2>&1 &
  local i
  for ((i = 0; i < 300; i++)); do "$E2CTL" dp -s "$sock" status >/dev/null 2>&1 && break; sleep 0.1; done
  [ "$first" = tcp ] && start_nf tcp "$NFS/tcp/e2nf-tcp" --poll
  start_nf sig "$NFS/sig/e2nf-sig" --poll --mode "$mode" --engine "$ENGINE" -c "$dir/patterns.sig"
  start_nf http "$NFS/http/e2nf-http" --poll --mode "$mode"
  start_nf re "$NFS/re/e2nf-re" --poll --mode "$mode"
  declare -A busy
  ON_CPU=$CPU_E2D start_nf replay "$build/bench/bytestream/bench-replay" --poll -c "$dir/web.pcap"
  done_nf "$first" "$PKTS"
  local units=$PKTS
  [ "$mode" = bytestream ] && units=$(nfstat tcp "sum(d['nf']['messages'].values())")
  for nf in $nfs; do [ "$nf" = "$first" ] || done_nf "$nf" "$units"; done
  BUSY=0 PER=""
  for nf in $nfs; do
    local b
    b=$(cycles "${busy[$nf]}")
    BUSY=$((BUSY + b)) PER="$PER $nf=$b"
  done
  local drops
  drops=$("$E2CTL" dp -s "$sock" --json nfs | json "sum(p['full_drops'] + p['down_drops'] for n in d for p in n['ports'])")
  [ "$drops" = 0 ] || die "$mode: e2d dropped $drops units"
  BYTES=$(nfstat re "d['nf']['streams']['client_bytes'] + d['nf']['streams']['server_bytes']")
  for nf in sig http; do
    [ "$(nfstat $nf "d['nf']['streams']['client_bytes'] + d['nf']['streams']['server_bytes']")" = "$BYTES" ] ||
      die "$mode: $nf and re saw different bytes"
  done
  MATCHES=$(nfstat sig "d['nf']['matches']") REQS=$(nfstat http "d['nf']['requests']")
  [ "$MATCHES" -gt 0 ] && [ "$REQS" -gt 0 ] || die "$mode: no matches or no requests: the NFs did nothing"
  SAVED=$(nfstat re "d['nf']['saved_bytes']")
  for nf in $nfs replay; do kill "${pid[$nf]}"; done
  for nf in $nfs replay; do wait "${pid[$nf]}" || true; done
  "$E2CTL" dp -s "$sock" quit >/dev/null
  wait 2>/dev/null || true
}

declare -A busy_med
lib_all=() bs_all=() ratios=()
for ((r = 1; r <= RUNS; r++)); do # the modes alternate: a busy machine weighs on both alike
  for mode in library bytestream; do
    run $mode
    echo "$mode run $r: $BUSY processing cycles ($PER ); $BYTES stream bytes, $MATCHES matches, $REQS requests, RE saves $SAVED"
    eval "seen_$mode=\"$BYTES $MATCHES $REQS $SAVED\""
    [ $mode = library ] && lib_all+=("$BUSY") || bs_all+=("$BUSY")
  done
  ratios+=("$(awk -v a="${bs_all[-1]}" -v b="${lib_all[-1]}" 'BEGIN {printf "%.4f", a / b}')")
done
busy_med[library]=$(median "${lib_all[@]}") busy_med[bytestream]=$(median "${bs_all[@]}")
[ "$seen_library" = "$seen_bytestream" ] || die "the modes saw different traffic: $seen_library / $seen_bytestream"
lib=${busy_med[library]} bs=${busy_med[bytestream]}
echo "RESULT bytestream_library_cycles $lib cycles"
echo "RESULT bytestream_bytestream_cycles $bs cycles"
echo "RESULT bytestream_library_cycles_per_packet $((lib / PKTS)) cycles"
echo "RESULT bytestream_bytestream_cycles_per_packet $((bs / PKTS)) cycles"
echo "RESULT bytestream_saved $(awk -v a="$lib" -v b="$bs" 'BEGIN {printf "%.1f", 100 * (a - b) / a}') %"
echo "RESULT bytestream_run_ratios ${ratios[*]} (ByteStream/Library per pair of runs)"
echo "RATIO bytestream_vs_library $(median "${ratios[@]}" | awk '{printf "%.2f", $1}') (ByteStream vs Library processing cycles, median of the runs' ratios, lower is better; goal <= 0.75)"
