#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (Clang, AddressSanitizer, UndefinedBehaviorSanitizer)
# and runs each for a bounded time from its committed seed corpus (tests/fuzz/corpus/<target>).
# Prints one line per target (runs, coverage, corpus, result) and exits non-zero when any target
# found a crash, a leak, a sanitizer report or a violated property; the input that did it is
# kept under <build>/fuzz-artifacts. Installs clang (ENAS_WITH_CLANG=1 scripts/install_deps.sh).
#
# The inputs that once crashed a target, tests/fuzz/crashes/<target>-*, join its seeds, so that
# every run replays them first.
#
# Usage: scripts/fuzz.sh [seconds per target, default 60]
# Environment: ENAS_FUZZ_BUILD_DIR (default build-fuzz), ENAS_FUZZ_TARGETS (default: arc ptb cifar
# metrics checkpoint; the checkpoint target runs by default again since open_checkpoint checks the
# zip's CRC-32s before LibTorch's importer sees a damaged file, docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
build="${ENAS_FUZZ_BUILD_DIR:-build-fuzz}"
targets=(${ENAS_FUZZ_TARGETS:-arc ptb cifar metrics checkpoint})
ENAS_WITH_CLANG=1 scripts/install_deps.sh > /dev/null

mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENAS_BUILD_FUZZERS=ON \
  -DENAS_BUILD_TESTS=OFF -DENAS_BUILD_EXAMPLES=OFF -DENAS_INSTALL=OFF > "$build/fuzz-configure.log" 2>&1 ||
  { cat "$build/fuzz-configure.log" >&2; exit 2; }
cmake --build "$build" -j "${ENAS_JOBS:-$(nproc)}" --target fuzz_make_checkpoint_seed "${targets[@]/#/fuzz_}" \
  > "$build/fuzz-build.log" 2>&1 || { tail -40 "$build/fuzz-build.log" >&2; exit 2; }

# The checkpoint seed is a LibTorch archive written by this LibTorch (its format is LibTorch's).
seeds="$build/fuzz-seeds"
rm -rf "$seeds" && cp -r tests/fuzz/corpus "$seeds" && mkdir -p "$seeds/checkpoint"
"$build/tests/fuzz/fuzz_make_checkpoint_seed" "$seeds/checkpoint/valid.pt"
for crash in tests/fuzz/crashes/*; do
  [ -f "$crash" ] || continue
  t=$(basename "$crash"); t="${t%%-*}"
  if [ -d "$seeds/$t" ]; then cp "$crash" "$seeds/$t/"; fi
done

# Longest input per target: whole CIFAR-10 records need more than libFuzzer's default 4 KiB.
declare -A max_len=([arc]=4096 [ptb]=4096 [cifar]=16384 [metrics]=8192 [checkpoint]=16384)
failed=0
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"
for t in "${targets[@]}"; do
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  log="$build/fuzz-logs/$t.log"
  rc=0
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
    LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp" \
    "$build/tests/fuzz/fuzz_$t" "$work" "$seeds/$t" -max_total_time="$seconds" -max_len="${max_len[$t]}" \
    -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
    > "$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $t: ${runs:-?} runs in ${seconds} s, coverage ${cov:-?} edges, corpus ${corp:-?} inputs, 0 crashes"
  else
    failed=1
    echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} runs; input and report: $build/fuzz-artifacts/$t-*, $log"
    grep -E "ERROR|SUMMARY|violated|terminate|what\(\)" "$log" | head -5 | sed 's/^/  /'
  fi
done
exit "$failed"
