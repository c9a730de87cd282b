#!/usr/bin/env bash
# URL metadata tags (paper §7.1, Fig. 8): the load of steering web sessions to
# a CDN by URL, with and without native metadata tags.
#
#   Tags:       trace -> Logger (e2nf-urltag: logs requests, tags URLTag.class)
#               -> e2d MetadataMatch(URLTag.class == cdn) -> CDN | origin
#   Classifier: trace -> Logger (e2nf-http: logs requests) -> e2d
#               -> URL-Classifier (e2nf-urltag, method port) -> e2d -> CDN | origin
#
# The CDN's ingress is e2nf-tagfwd (it forwards what it gets to a counting
# Sink); sessions whose URL is under a CDN prefix (half the web sites of the
# trace) go there, the rest to a counting Sink for the origin. Both loggers
# write the same JSON lines; both chains must send the same packets each way.
#
# Traffic: bench/bytestream/gen_http.py's web trace, read by DPDK's pcap
# driver into the first NF's ring (as large as the trace, like every ring
# here, so nothing waits or drops; checked).
#
# Measured: the load of each NF — its process's CPU time (all threads,
# /proc/PID/task/*/schedstat) from before the trace until it took its last
# packet, at the clock rate — and e2d's, the busy cycles of its worker (its
# own count of the cycles spent in runs that moved packets). The NFs sleep
# when idle (no --poll) and are pinned together to the last CPU; e2d alone
# on the first. The chains run in turn RUNS times (3; --quick: 1, smaller
# trace); the ratio is the median of the runs' ratios. Paper: tags save 41%
# of the load (goal: >= 41% less).
#
# Usage: bench/urltag/urltag.sh [--quick] [BUILD_DIR]   (root, hugepages)
CONNS=${CONNS:-600} RUNS=${RUNS:-3}
source "$(dirname "$0")/../bytestream/chain.sh"
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%d", s}'; }
e2d_busy() { "$E2CTL" dp -s "$sock" --json status | json "sum(w['busy_cycles'] for w in d['workers'])"; }
counted() { "$E2CTL" dp -s "$sock" --json cmd "$1" get | json "d['packets']"; }

RING=1
while [ $RING -le "$PKTS" ]; do RING=$((RING * 2)); done
cat >"$dir/urls" <<'EOF'
# half the web sites of the trace are served by the CDN
cdn www.example1.com/ www.example2.com/ www.example3.com/ www.example4.com/
EOF
echo "trace: $(cat "$dir/gen.txt"), $CONNS connections; NFs on CPU $CPU_NF, e2d on CPU $CPU_E2D"

# Until NF took WANT packets on port "in" (60 s); then its CPU time.
done_nf() { # NF WANT
  local i got=0
  for ((i = 0; i < 1200; i++)); do
    got=$(nfstat "$1" "d['ports']['in']['rx']")
    [ "$got" = "$2" ] && break
    sleep 0.05
  done
  [ "$got" = "$2" ] || die "$1 took $got packets, not $2"
  after[$1]=$(cpu_ns "${pid[$1]}")
}

# One run of CHAIN (tags | classifier): sets LOAD (cycles), NFLOAD, PER and SEEN.
run() {
  local chain=$1 nfs
  sock=$dir/$chain.sock
  rm -f "$dir"/*.ctl "$dir"/*.jsonl
  {
    echo "nf logger(ports=[in, out], ring_size=$RING);"
    echo "nf cdn(ports=[in, out], ring_size=$RING);"
    echo "VPort(nf=cdn, port=out) -> cdnout :: Counter() -> Sink();"
    echo "origin :: Counter() -> Sink();"
    if [ "$chain" = tags ]; then
      nfs="logger cdn"
      echo "tag(name=\"URLTag.class\");"
      echo "VPort(nf=logger, port=out) -> m :: MetadataMatch(rules=[{tag=\"URLTag.class\", value=1, gate=0}], default_gate=1);"
      echo "m[0] -> VPort(nf=cdn, port=in); m[1] -> origin;"
    else
      nfs="logger classifier cdn"
      echo "nf classifier(ports=[in, cdn, other], ring_size=$RING);"
      echo "VPort(nf=logger, port=out, reliable=true) -> VPort(nf=classifier, port=in);"
      echo "VPort(nf=classifier, port=cdn) -> VPort(nf=cdn, port=in);"
      echo "VPort(nf=classifier, port=other) -> origin;"
    fi
  } >"$dir/$chain.conf"
  "$E2D" -n "ut$chain$tag" --cpus "$CPU_E2D" -m 512 --mbufs $((PKTS + 8192)) -s "$sock" \
    -c "$dir/$chain.conf" >"$dir/e2d-$chain.log" 2>&1 &
  local i
  for ((i = 0; i < 300; i++)); do "$E2CTL" dp -s "$sock" status >/dev/null 2>&1 && break; sleep 0.1; done
  if [ "$chain" = tags ]; then
    start_nf logger "$NFS/urltag/e2nf-urltag" -c "$dir/urls" --log "$dir/log.jsonl"
  else
    start_nf logger "$NFS/http/e2nf-http" --log "$dir/log.jsonl"
    start_nf classifier "$NFS/urltag/e2nf-urltag" -c "$dir/urls"
  fi
  start_nf cdn "$NFS/tagfwd/e2nf-tagfwd"
  declare -A before after
  for nf in $nfs; do before[$nf]=$(cpu_ns "${pid[$nf]}"); done
  local busy0
  busy0=$(e2d_busy)
  echo "port trace(vdev=\"net_pcap_ut$tag,rx_pcap=$dir/web.pcap\"); PortInc(port=trace) -> VPort(nf=logger, port=in);" \
    >"$dir/trace.conf"
  "$E2CTL" dp -s "$sock" load "$dir/trace.conf" >/dev/null || die "e2d refused the trace port"
  local tagger=logger
  [ "$chain" = classifier ] && tagger=classifier
  done_nf logger "$PKTS"
  [ "$chain" = classifier ] && done_nf classifier "$PKTS"
  local to_cdn
  to_cdn=$(nfstat $tagger "d['nf']['class_packets']['cdn']")
  done_nf cdn "$to_cdn"
  for ((i = 0; i < 100; i++)); do
    [ $(($(counted cdnout) + $(counted origin))) = "$PKTS" ] && break
    sleep 0.05
  done
  local e2d_load drops
  e2d_load=$(($(e2d_busy) - busy0))
  drops=$("$E2CTL" dp -s "$sock" --json nfs | json "sum(p['full_drops'] + p['down_drops'] for n in d for p in n['ports'])")
  [ "$drops" = 0 ] || die "$chain: e2d dropped $drops packets"
  NFLOAD=0 PER=""
  for nf in $nfs; do
    local c
    c=$(awk -v ns=$((after[$nf] - before[$nf])) -v h="$hz" 'BEGIN {printf "%.0f", ns * h / 1e9}')
    NFLOAD=$((NFLOAD + c)) PER="$PER $nf=$c"
  done
  LOAD=$((NFLOAD + e2d_load)) PER="$PER e2d=$e2d_load"
  for nf in $nfs; do kill "${pid[$nf]}"; done
  for nf in $nfs; do wait "${pid[$nf]}" || true; done
  SEEN="cdn $(counted cdnout) origin $(counted origin) requests $(wc -l <"$dir/log.jsonl")"
  "$E2CTL" dp -s "$sock" quit >/dev/null
  wait 2>/dev/null || true
}

tags=() cls=() nf_tags=() nf_cls=() ratios=()
for ((r = 1; r <= RUNS; r++)); do # the chains alternate: a busy machine weighs on both alike
  for chain in tags classifier; do
    run $chain
    echo "$chain run $r: load $LOAD cycles ($PER ); $SEEN"
    eval "seen_$chain=\"$SEEN\""
    if [ $chain = tags ]; then tags+=("$LOAD") nf_tags+=("$NFLOAD"); else cls+=("$LOAD") nf_cls+=("$NFLOAD"); fi
  done
  ratios+=("$(awk -v a="${tags[-1]}" -v b="${cls[-1]}" 'BEGIN {printf "%.4f", a / b}')")
done
[ "$seen_tags" = "$seen_classifier" ] || die "the chains differ: $seen_tags / $seen_classifier"
t=$(median "${tags[@]}") c=$(median "${cls[@]}") ratio=$(median "${ratios[@]}")
echo "RESULT urltag_tags_load $t cycles"
echo "RESULT urltag_classifier_load $c cycles"
echo "RESULT urltag_tags_nf_load $(median "${nf_tags[@]}") cycles"
echo "RESULT urltag_classifier_nf_load $(median "${nf_cls[@]}") cycles"
echo "RESULT urltag_saved $(awk -v r="$ratio" 'BEGIN {printf "%.1f", 100 * (1 - r)}') %"
echo "RATIO urltag_tags_vs_classifier $(awk -v r="$ratio" 'BEGIN {printf "%.2f", r}') (load with URL tags vs with a URL classifier, median of the runs' ratios; goal <= 0.59)"
