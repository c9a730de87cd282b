#!/usr/bin/env bash
# Set up and run every E2 test: install dependencies, build (release and
# ASan+UBSan), run the unit tests in both builds and the integration tests
# (network namespaces, root) in the release build.
# Usage (as root, from anywhere): scripts/test.sh [--no-deps] [--no-asan] [-R REGEX]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
deps=1 asan=1 filter=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-deps) deps=0 ;;
    --no-asan) asan=0 ;;
    -R) filter=(-R "$2"); shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
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
if command -v clang >/dev/null; then
  echo "== fuzzers (clang, libFuzzer + ASan/UBSan, a few seconds each) =="
  cmake -S "$top" -B "$top/build-fuzz" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DE2_SANITIZE=ON >/dev/null
  cmake --build "$top/build-fuzz" -j "$jobs" --target fuzz_policy fuzz_filter
  ctest --test-dir "$top/build-fuzz" --output-on-failure -L fuzz
fi
echo "== all tests passed =="
