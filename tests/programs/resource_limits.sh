#!/usr/bin/env bash
# Resource limits (docs/reliability.md): a configuration whose batch does not fit in the memory
# the process may use (here a `ulimit -v` of 3 GiB) fails with one line that says which memory ran
# out and which flags to lower, with their values, and no allocator backtrace; exit code 1.
#   resource_limits.sh <build dir>
# Needs the real PTB; without it it reports "skipped".
set -uo pipefail
build=$1
out=$(mktemp -d)
trap '[ -n "${ENAS_KEEP:-}" ] || rm -rf "$out"' EXIT
source "$(dirname "$0")/common.sh"
ptb=$(find_data ptb ptb.train.txt)
if [ -z "$ptb" ]; then
  echo "skipped: the real PTB folder is needed (data/, \$ENAS_DATA_DIR or ../shared/data)"
  exit 0
fi
if [ -n "${ASAN_OPTIONS:-}" ]; then  # the sanitize preset's environment
  echo "skipped: AddressSanitizer reserves terabytes of address space, more than any ulimit -v allows"
  exit 0
fi

# 2,000 streams of 35 tokens: the logits of a window alone are 2,000 × 35 × 10,000 floats (2.8 GB).
( ulimit -v 3145728
  "$build/examples/ptb_final" --data_path="$ptb" --batch_size=2000 --child_lstm_hidden_size=256 --threads=1 \
    --max_steps=1 --noplot --output_dir="$out/run" >"$out/stdout" 2>"$out/stderr" )
code=$?
echo "exit code $code; stderr: $(cat "$out/stderr")"
check "exit code 1" test "$code" = 1
check "one line on stderr" test "$(wc -l <"$out/stderr")" = 1
check "it says the host memory ran out" grep -q "out of host memory" "$out/stderr"
check "it names the flags to lower with their values" grep -q -- "--batch_size (now 2000).*--child_lstm_hidden_size (now 256)" "$out/stderr"
check "no backtrace" bash -c "! grep -q 'frame #' '$out/stderr'"
[ "$failures" = 0 ]
