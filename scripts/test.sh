#!/usr/bin/env bash
# The README's test command: installs the packages, builds, and runs the whole test suite
# (unit tests on real PTB where present, the compile-fail check, and the installed-package
# consumer build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
cd "${ENAS_BUILD_DIR:-build}"
ctest --output-on-failure -j "${ENAS_JOBS:-$(nproc)}" "$@"
