#!/usr/bin/env bash
# Every NF benchmark of bench/nfs, one after the other; their RESULT and
# RATIO lines gathered at the end.
#
# Usage: bench/nfs/run.sh [--quick] [BUILD_DIR]      (root, hugepages)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for script in "$here"/*.sh; do
  case "$(basename "$script")" in lib.sh | lib_route.sh | run.sh) continue ;; esac
  echo "# $(basename "$script" .sh)"
  "$script" "$@" | tee -a "$out" | grep -v -E '^(RESULT|RATIO)' || true
done
echo "# results"
grep -E '^(RESULT|RATIO)' "$out"
