#!/usr/bin/env bash
# Run a libFuzzer target for a few seconds on its seeds, keeping new corpus
# entries in a scratch folder. Usage: run_fuzz.sh FUZZER SEED_DIR SECONDS
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$1" -max_total_time="$3" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work" "$2"
