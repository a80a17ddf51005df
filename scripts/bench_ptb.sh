#!/usr/bin/env bash
# Runs enas_bench and the PyTorch reference (../shared/bench/ref_ptb.py, Debian's python3-torch:
# the same LibTorch) side by side on the same workloads and threads, alternating the two programs
# for a few rounds, then the arithmetic floor of final_step (floor_ptb.py).
#   ENAS_BENCH_ROUNDS (default 3), ENAS_BENCH_THREADS (default 2), ENAS_SHARED (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${ENAS_BUILD_DIR:-build}/examples/enas_bench
shared=${ENAS_SHARED:-../shared}
threads=${ENAS_BENCH_THREADS:-2}
rounds=${ENAS_BENCH_ROUNDS:-3}
python=/usr/bin/python3
args=(--hidden 256 --batch 64 --bptt 35 --threads "$threads")
for workload in final_step ctrl_sample ctrl_train; do
  for round in $(seq "$rounds"); do
    echo "round=$round enas    $("$bench" "$workload" "${args[@]}")"
    echo "round=$round pytorch $("$python" "$shared/bench/ref_ptb.py" "$workload" "${args[@]}")"
  done
done
echo "floor   $("$python" "$shared/bench/floor_ptb.py" --hidden 256 --batch 64 --bptt 35 --threads "$threads")"
