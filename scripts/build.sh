#!/usr/bin/env bash
# Configures and builds enas (library, examples, tests) in build/ with the Release settings.
#   ENAS_BUILD_DIR  build folder (default: build)
#   ENAS_JOBS       parallel compile jobs (default: number of cores; LibTorch TUs need ~1.5 GB each)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ENAS_BUILD_DIR:-build}
jobs=${ENAS_JOBS:-$(nproc)}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build" -j "$jobs"
