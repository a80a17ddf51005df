#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer: the `sanitize`
# preset of CMakePresets.json (GCC, -O1, into build-sanitize/), its build, and ctest with the
# preset's environment (tests/sanitizers/*.supp). docs/reliability.md has its time and what is
# suppressed, with why.
#
# Usage: scripts/sanitize.sh [ctest arguments, e.g. -R programs]
# Environment: ENAS_JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh > /dev/null
jobs="${ENAS_JOBS:-$(nproc)}"
start=$(date +%s)
mkdir -p build-sanitize
cmake --preset sanitize > build-sanitize/configure.log 2>&1 || { cat build-sanitize/configure.log >&2; exit 2; }
cmake --build --preset sanitize -j "$jobs" > build-sanitize/build.log 2>&1 || { tail -40 build-sanitize/build.log >&2; exit 2; }
built=$(date +%s)
echo "sanitize: built in $((built - start)) s"
rc=0
ctest --preset sanitize -j "$jobs" "$@" || rc=$?
echo "sanitize: tests took $(($(date +%s) - built)) s (exit $rc)"
exit "$rc"
