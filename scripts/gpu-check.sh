#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU and a PyTorch 2.x installation (no Debian
# packages there): builds enas against PyTorch's LibTorch with the CUDA code paths, runs the test
# suite on CUDA, times every enas_bench workload on CUDA, runs each search program for one epoch
# at its script's sizes and each final program for a bounded number of steps, projects the full
# searches (PTB 100 epochs, micro 150, macro 310) and prints a table last. About 10 minutes on one
# H100 or H200; each stage has its own time limit, so the table always comes.
#
#   1. here, beside ../shared:  scripts/gpu-check.sh --prepare
#        .devkit/    the header dependencies (../shared/tools/device-kit.sh)
#        .gpu-data/  the real Penn Treebank and a slice of the real CIFAR-10 (1,100 images of each
#                    training file) for the tests; both ignored by git, carried to the GPU machine
#   2. there, from the repository root:  scripts/gpu-check.sh [output-folder]   (default: $OUT or gpu-check/)
# The CIFAR-10 search and final runs there use synthetic images of the real size (50,000 training
# images, random pixels and labels): they time the steps, not the accuracy.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --prepare ]; then
  set -e
  shared=../shared
  [ -d "$shared/data/ptb" ] || { echo "gpu-check.sh --prepare: $shared/data/ptb not found" >&2; exit 1; }
  "$shared/tools/device-kit.sh" .devkit
  rm -rf .gpu-data && mkdir -p .gpu-data/ptb .gpu-data/cifar-10-batches-bin
  cp "$shared"/data/ptb/ptb.*.txt .gpu-data/ptb/
  for f in "$shared"/data/cifar-10-batches-bin/data_batch_{1..5}.bin; do
    head -c $((1100 * 3073)) "$f" > ".gpu-data/cifar-10-batches-bin/$(basename "$f")"
  done
  cp "$shared"/data/cifar-10-batches-bin/batches.meta.txt .gpu-data/cifar-10-batches-bin/ 2>/dev/null || true
  grep -qx "/.gpu-data/" .git/info/exclude 2>/dev/null || echo "/.gpu-data/" >> .git/info/exclude
  du -sh .devkit .gpu-data
  echo "carry .devkit and .gpu-data to the GPU machine and run scripts/gpu-check.sh there"
  exit 0
fi

out=${1:-${OUT:-gpu-check}}
mkdir -p "$out"
build=build-gpu
started=$SECONDS
rows=()
row() { rows+=("$(printf '| %-34s | %s |' "$1" "$2")"); }
# stage <seconds> <log> <command...>: runs a stage under its time limit, its output in $out/<log>.
stage() {
  local limit=$1 log=$2
  shift 2
  timeout --kill-after=10 "$limit" "$@" > "$out/$log" 2>&1
}
finish() {
  {
    echo
    echo "| check | result |"
    echo "| --- | --- |"
    printf '%s\n' "${rows[@]}"
    echo "| total | $(( SECONDS - started )) s |"
  } | tee "$out/table.md"
}
trap finish EXIT

python=${PYTHON:-python3}
if ! "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  row "GPU" "no CUDA device visible to PyTorch: nothing checked"
  exit 1
fi
row "GPU" "$("$python" -c 'import torch; print(torch.cuda.get_device_name(0), "| torch", torch.__version__, "| CUDA", torch.version.cuda)')"
torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
[ -d .devkit/usr ] || { row "build" "no .devkit/: run scripts/gpu-check.sh --prepare beside ../shared and carry it"; exit 1; }
export LD_LIBRARY_PATH="$PWD/.devkit/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cuda_root=()
[ -d /usr/local/cuda ] && cuda_root=(-DCUDAToolkit_ROOT=/usr/local/cuda)

# 1. Build: library, programs and tests, against PyTorch's LibTorch with CUDA.
t0=$SECONDS
if stage 300 build.log bash -c "cmake -S . -B $build ${generator[*]} ${cuda_root[*]} -DCMAKE_BUILD_TYPE=Release \
       -DCMAKE_PREFIX_PATH='$torch_prefix;$PWD/.devkit/usr' -DENAS_BUILD_TESTS=ON -DENAS_INSTALL=OFF &&
     cmake --build $build -j $(nproc)"; then
  if grep -q "enas: CUDA code paths compiled in" "$out/build.log"; then
    row "build (CUDA code paths)" "ok, $(( SECONDS - t0 )) s"
  else
    row "build (CUDA code paths)" "built, but ENAS_WITH_CUDA is off: LibTorch reported no CUDA libraries"
  fi
else
  row "build (CUDA code paths)" "FAILED after $(( SECONDS - t0 )) s (see build.log)"
  tail -n 40 "$out/build.log"
  exit 1
fi

# 2. The test suite with the training tests on CUDA.
t0=$SECONDS
stage 150 tests.log env ENAS_TEST_DEVICE=cuda ENAS_DATA_DIR="$PWD/.gpu-data" \
  ctest --test-dir "$build" -j 8 --timeout 140 --output-on-failure
row "tests, ENAS_TEST_DEVICE=cuda" "$(grep -E '^[0-9]+% tests passed' "$out/tests.log" | tail -n 1 || echo 'did not finish') ($(( SECONDS - t0 )) s)"
grep -E '^\s+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted)\)' "$out/tests.log" | head -n 20 | while read -r line; do echo "  failed: $line"; done

# 3. enas_bench on CUDA, every workload (host_ms: the host's time to issue a step).
bench=$build/examples/enas_bench
ptb=(--hidden 256 --batch 64 --bptt 35 --device cuda --steps 20)
micro=(--layers 6 --filters 20 --batch 32 --device cuda --steps 20)
for w in final_step search_step ctrl_sample ctrl_train; do
  stage 60 "bench_$w.log" "$bench" "$w" "${ptb[@]}" && row "enas_bench $w" "$(cat "$out/bench_$w.log")"
done
stage 60 bench_final_step_eager.log "$bench" final_step "${ptb[@]}" --no_cuda_graphs &&
  row "enas_bench final_step, no graph" "$(cat "$out/bench_final_step_eager.log")"
for w in micro_final_step micro_search_step; do
  stage 60 "bench_$w.log" "$bench" "$w" "${micro[@]}" && row "enas_bench $w" "$(cat "$out/bench_$w.log")"
done
stage 60 bench_micro_final_step_eager.log "$bench" micro_final_step "${micro[@]}" --no_cuda_graphs &&
  row "enas_bench micro_final_step, no graph" "$(cat "$out/bench_micro_final_step_eager.log")"
stage 60 bench_macro_search_step.log "$bench" macro_search_step --layers 12 --filters 36 --batch 128 --device cuda --steps 20 &&
  row "enas_bench macro_search_step" "$(cat "$out/bench_macro_search_step.log")"

# 4. Programs at their scripts' sizes. CIFAR-10: synthetic images of the real size.
synth=/tmp/enas-cifar-synthetic
"$python" - "$synth" <<'EOF'
import os, sys
import numpy as np
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(0)
for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
    rec = rng.integers(0, 256, size=(10000, 3073), dtype=np.uint8)
    rec[:, 0] = rng.integers(0, 10, size=10000, dtype=np.uint8)
    rec.tofile(os.path.join(d, name))
EOF
programs=$build/examples
# epoch_minutes <metrics.jsonl>: minutes at the end of the first epoch's evaluation.
epoch_minutes() {
  "$python" - "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "eval" and "mins" in e:
        print(e["mins"]); break
EOF
}
# search <name> <program> <epochs of the full search> <flags...>: one epoch, projected.
search() {
  local name=$1 program=$2 epochs=$3
  shift 3
  local dir="$out/run_$name"
  if stage 100 "run_$name.log" "$programs/$program" --device cuda --output_dir "$dir" --reset_output_dir \
       --num_epochs 1 --derive_samples 10 --noplot "$@"; then :; fi
  local mins
  mins=$(epoch_minutes "$dir/metrics.jsonl" 2>/dev/null)
  if [ -n "$mins" ]; then
    row "$program, 1 epoch" "$(printf '%.2f min; full search (%d epochs) projected %.2f h' "$mins" "$epochs" \
      "$("$python" -c "print($mins * $epochs / 60)")")"
  else
    row "$program, 1 epoch" "no epoch within 100 s (see run_$name.log): full search > $("$python" -c "print(round(100 * $epochs / 3600, 1))") h"
  fi
}
search ptb ptb_search 100
search micro cifar10_micro_search 150 --data_path "$synth"
search macro cifar10_macro_search 310 --data_path "$synth"
# final <name> <program> <flags...>: a bounded number of steps, milliseconds per step.
final() {
  local name=$1 program=$2
  shift 2
  local dir="$out/run_$name"
  stage 60 "run_$name.log" "$programs/$program" --device cuda --output_dir "$dir" --reset_output_dir --noplot "$@"
  local line
  line=$("$python" - "$dir/metrics.jsonl" <<'EOF' 2>/dev/null
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"event":"child"' in l]
if len(steps) >= 2:
    a, b = steps[0], steps[-1]
    print(f"{(b['mins'] - a['mins']) * 60e3 / (b['step'] - a['step']):.2f} ms per step over steps {a['step']}-{b['step']}")
EOF
)
  row "$program" "${line:-no timing (see run_$name.log)}"
}
# 5. A batch that cannot fit the device (a 35 × 400,000 × 10,000 softmax is 560 GB) must stop
#    with one line that says what to lower, not an allocator trace (docs/reliability.md).
stage 60 run_device_oom.log "$programs/ptb_search" --device cuda --output_dir "$out/run_device_oom" --reset_output_dir \
  --noplot --num_epochs 1 --batch_size 400000 --data_path "$PWD/.gpu-data/ptb"
oom_status=$?
if [ "$oom_status" -ne 0 ] && grep -q 'out of device memory: .*Lower --batch_size (now 400000)' "$out/run_device_oom.log" &&
   ! grep -q 'Exception raised from' "$out/run_device_oom.log"; then
  row "device out of memory" "refused (exit $oom_status): $(grep -o 'out of device memory[^.]*' "$out/run_device_oom.log" | head -n 1)"
else
  row "device out of memory" "NOT as expected (exit $oom_status, see run_device_oom.log)"
fi
final ptb_final ptb_final --max_steps 400 --log_every 50
final micro_final cifar10_micro_final --max_steps 150 --log_every 25 --data_path "$synth"
final macro_final cifar10_macro_final --max_steps 150 --log_every 25 --data_path "$synth"
