#!/usr/bin/env bash
# Set up and run every E2 test: install dependencies, build (release and
# ASan+UBSan), run the unit tests in both builds, the integration tests
# (network namespaces, root) and the benchmark smoke runs in the release
# build, and each libFuzzer target for a few seconds (clang build).
# Usage (as root, from anywhere):
#   scripts/test.sh [--no-deps] [--no-asan] [--no-fuzz] [--fuzz-seconds N] [-R REGEX]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
deps=1 asan=1 fuzz=1 fuzz_seconds=10 filter=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-deps) deps=0 ;;
    --no-asan) asan=0 ;;
    --no-fuzz) fuzz=0 ;;
    --fuzz-seconds) fuzz_seconds=$2; shift ;;
    -R) filter=(-R "$2"); shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

[ "$deps" -eq 1 ] && "$top/scripts/deps.sh"

echo "== build (release) =="
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j "$jobs"

echo "== tests (release: unit + integration) =="
ctest --test-dir "$top/build" --output-on-failure -j "$jobs" "${filter[@]}"

if [ "$asan" -eq 1 ]; then
  echo "== build (ASan+UBSan) =="
  cmake -S "$top" -B "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DE2_SANITIZE=ON >/dev/null
  cmake --build "$top/build-asan" -j "$jobs"
  echo "== tests (ASan+UBSan: unit) =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$top/build-asan" --output-on-failure -j "$jobs" -L unit "${filter[@]}"
fi
if [ "$fuzz" -eq 1 ]; then
  echo "== build (libFuzzer, clang) =="
  CC=clang cmake -S "$top" -B "$top/build-fuzz" -DCMAKE_BUILD_TYPE=Debug -DE2_FUZZ=ON \
    -DE2_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
  cmake --build "$top/build-fuzz" -j "$jobs" --target fuzz
  echo "== fuzzers (${fuzz_seconds}s each) =="
  ctest --test-dir "$top/build-fuzz" --output-on-failure -L fuzz "${filter[@]}"
fi
echo "== all tests passed =="
