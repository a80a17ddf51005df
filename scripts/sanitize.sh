#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer: the `sanitize` preset of
# CMakePresets.json (GCC, -O1, into build-sanitize/), its build, and ctest with the preset's
# environment (tests/sanitizers/*.supp). docs/reliability.md has its times and what is
# suppressed, with why.
#
# Usage: scripts/sanitize.sh [--unit] [ctest arguments, e.g. -R programs]
#   --unit  build enas_tests only and run its Catch2 cases (not the programs', compile and docs
#           checks, which build every example program again): what .ci/run runs.
# Environment: ENAS_JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
unit=0
if [[ "${1:-}" == "--unit" ]]; then
  unit=1
  shift
fi
scripts/install_deps.sh > /dev/null
jobs="${ENAS_JOBS:-$(nproc)}"
start=$(date +%s)
mkdir -p build-sanitize
cmake --preset sanitize > build-sanitize/configure.log 2>&1 || { cat build-sanitize/configure.log >&2; exit 2; }
targets=()
(( unit )) && targets=(--target enas_tests)
cmake --build --preset sanitize -j "$jobs" "${targets[@]}" > build-sanitize/build.log 2>&1 ||
  { tail -40 build-sanitize/build.log >&2; exit 2; }
built=$(date +%s)
echo "sanitize: built in $((built - start)) s"
filter=()
(( unit )) && filter=(-E '^(programs|compile_fail|package|docs|layers)\.')
rc=0
ctest --preset sanitize -j "$jobs" "${filter[@]}" "$@" || rc=$?
echo "sanitize: tests took $(($(date +%s) - built)) s (exit $rc)"
exit "$rc"
