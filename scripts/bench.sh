#!/usr/bin/env bash
# Runs enas_bench beside the PyTorch references of ../shared/bench (Debian's python3-torch: the same
# LibTorch), alternating the two programs for a few rounds at the same sizes and threads.
#   usage: scripts/bench.sh [ptb|cifar|all]   (default: all)
#   ptb  : final_step, search_step, ctrl_sample, ctrl_train at H 256, batch 64, BPTT 35 against ref_ptb.py,
#          then final_step's arithmetic floor (floor_ptb.py)
#   cifar: micro_final_step and micro_search_step (6 + 2 cells, F 20, batch 32) against
#          ref_cifar.py (the search step over the same seeded sequence of random cell pairs), then
#          macro_search_step, which has no reference
#   ENAS_BENCH_ROUNDS (default 3), ENAS_BENCH_THREADS (default 2), ENAS_SHARED (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${ENAS_BUILD_DIR:-build}/examples/enas_bench
shared=${ENAS_SHARED:-../shared}
threads=${ENAS_BENCH_THREADS:-2}
rounds=${ENAS_BENCH_ROUNDS:-3}
python=/usr/bin/python3
which=${1:-all}
case "$which" in ptb|cifar|all) ;; *) echo "usage: scripts/bench.sh [ptb|cifar|all]" >&2; exit 2 ;; esac

# side_by_side <reference script> <workload> <args...>
side_by_side() {
  local reference=$1 workload=$2
  shift 2
  for round in $(seq "$rounds"); do
    echo "round=$round enas    $("$bench" "$workload" "$@")"
    echo "round=$round pytorch $("$python" "$shared/bench/$reference" "$workload" "$@")"
  done
}

if [ "$which" != cifar ]; then
  ptb=(--hidden 256 --batch 64 --bptt 35 --threads "$threads")
  for workload in final_step search_step ctrl_sample ctrl_train; do side_by_side ref_ptb.py "$workload" "${ptb[@]}"; done
  echo "floor   $("$python" "$shared/bench/floor_ptb.py" "${ptb[@]}")"
fi
if [ "$which" != ptb ]; then
  micro=(--layers 6 --filters 20 --batch 32 --steps 10 --threads "$threads")
  for workload in micro_final_step micro_search_step; do side_by_side ref_cifar.py "$workload" "${micro[@]}"; done
  for round in $(seq "$rounds"); do
    echo "round=$round enas    $("$bench" macro_search_step --layers 12 --filters 36 --batch 32 --threads "$threads")"
  done
fi
