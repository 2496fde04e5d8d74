#!/usr/bin/env bash
# The whole test suite: unit + parity tests (ctest), the torch-free core again under
# ASan/UBSan, and a bounded libFuzzer run over each parser of untrusted bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
jobs=$(nproc)

echo "== unit and parity tests"
ctest --test-dir "$BUILD" --output-on-failure -j "$jobs" --timeout 600

echo "== a short training run from scratch (world generate -> train -> eval, with bars)"
BUILD="$BUILD" scripts/train-short.sh

echo "== argus serve and argus mcp with real clients: the openai npm SDK, the web page in Chromium, the MCP SDK"
ARGUS_BIN="$PWD/$BUILD/argus" tests/web/run.sh

# LibTorch itself is not ASan-instrumented, so the sanitizer build covers the
# torch-free core: safetensors/JSON/image/tokenizer parsing, where untrusted bytes
# land. One clang build serves both the sanitized core tests and the fuzzers.
echo "== core tests under AddressSanitizer + UndefinedBehaviorSanitizer"
CC=clang CXX=clang++ cmake -S . -B build-sanitize -G Ninja -DARGUS_CORE_ONLY=ON -DARGUS_SANITIZE=ON -DARGUS_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build-sanitize
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-sanitize --output-on-failure -j "$jobs"

echo "== fuzzing (${FUZZ_SECONDS}s per target)"
export ARGUS_SHARED="$PWD/../shared"
for f in build-sanitize/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus="tests/fuzz/corpus/$name"
  mkdir -p "build-sanitize/corpus-$name"
  [ -d "$corpus" ] && cp -r "$corpus"/. "build-sanitize/corpus-$name"/ 2>/dev/null || true
  echo "-- $name"
  "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 \
    "build-sanitize/corpus-$name" 2>&1 | tail -n 3
done
# Last, when every stage has built and run what it needs: each header, library, tool
# and npm package they used must come from install-deps.sh's packages (or their
# Depends), not from something a person once installed by hand.
echo "== the install: every file the builds and tests used comes from scripts/install-deps.sh"
/usr/bin/python3 scripts/check-deps.py --build "$BUILD" --build build-sanitize
echo "all test stages passed"
