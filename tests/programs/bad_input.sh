#!/usr/bin/env bash
# Bad input to the programs (docs/reliability.md, "Cases tried"): each is refused with exit code 1
# and a last line on stderr that names the file or flag, where, the value and what was expected; a
# full output folder fails the checkpoint write without harming the checkpoints already there,
# and the same command resumes from them once there is room.
#   bad_input.sh <build dir>
# Needs the real PTB; without it it reports "skipped". The read-only and full output folders
# need a tmpfs mount (root); without one those cases are reported as not run.
set -uo pipefail
build=$1
out=$(mktemp -d)
mounted=()
trap 'for m in "${mounted[@]}"; do umount "$m" 2>/dev/null; done; [ -n "${ENAS_KEEP:-}" ] || rm -rf "$out"' EXIT
source "$(dirname "$0")/common.sh"
ptb=$(find_data ptb ptb.train.txt)
if [ -z "$ptb" ]; then
  echo "skipped: the real PTB folder is needed (data/, \$ENAS_DATA_DIR or ../shared/data)"
  exit 0
fi
# refused <name> <expected text (grep -F)> <program> <flags...>: exit 1, the last line of stderr holding the text.
refused() {
  local name=$1 text=$2 program=$3
  shift 3
  "$build/examples/$program" --noplot --threads=1 "$@" >"$out/last.out" 2>"$out/last.err"
  local code=$?
  echo "     $(tail -n 1 "$out/last.err" | head -c 300)"
  # The error is the last line (a run that had started may have shown its progress line before).
  check "$name: exit 1 ($code), a last line naming it, no backtrace" \
    bash -c "[ $code = 1 ] && tail -n 1 '$out/last.err' | grep -qF -- \"\$1\" && ! grep -qE 'frame #|terminate called' '$out/last.err'" _ "$text"
}

mk_corpus() { small_ptb "$ptb" "$1"; }
small=(--child_lstm_hidden_size=16 --batch_size=8 --child_bptt_steps=10 --log_every=50)

mk_corpus "$out/nul"
printf 'the \0 cat\n' >>"$out/nul/ptb.train.txt"
refused "a NUL byte in ptb.train.txt" "ptb.train.txt line 401 column 5: byte 0x00 is a NUL byte; expected text" \
  ptb_search --data_path="$out/nul" "${small[@]}" --output_dir="$out/o1"

mk_corpus "$out/utf8"
printf 'the caf\xe9 \n' >>"$out/utf8/ptb.valid.txt"
refused "invalid UTF-8 in ptb.valid.txt" "ptb.valid.txt line 61 column 8: byte 0xe9 is not valid UTF-8" \
  ptb_search --data_path="$out/utf8" "${small[@]}" --output_dir="$out/o2"

mk_corpus "$out/dirfile"
rm "$out/dirfile/ptb.test.txt" && mkdir "$out/dirfile/ptb.test.txt"
refused "a directory given for ptb.test.txt" "dirfile: ptb.test.txt is a directory: expected the text file ptb.test.txt" \
  ptb_search --data_path="$out/dirfile" "${small[@]}" --output_dir="$out/o3"

refused "a file given for --data_path" "does not hold ptb.train.txt" \
  ptb_search --data_path="$ptb/ptb.train.txt" "${small[@]}" --output_dir="$out/o4"

touch "$out/a_file"
refused "a file given for --output_dir" "--output_dir $out/a_file is a file: expected a folder" \
  ptb_search --data_path="$ptb" "${small[@]}" --output_dir="$out/a_file"

refused "invalid UTF-8 in --child_fixed_arc" "architecture token a[2] = '\\xff\\xfe' is not an integer" \
  ptb_final --data_path="$ptb" "${small[@]}" --output_dir="$out/o5" --child_fixed_arc="$(printf '0 0 \xff\xfe 1')"

# A checkpoint of another program: ptb_final's checkpoint in ptb_search's folder.
mk_corpus "$out/c"
"$build/examples/ptb_final" --noplot --threads=1 --data_path="$out/c" "${small[@]}" --max_steps=2 \
  --output_dir="$out/other" >/dev/null 2>&1
refused "a checkpoint of another program" "was written by the program \"ptb_final\", not by \"ptb_search\": give this run another --output_dir" \
  ptb_search --data_path="$out/c" "${small[@]}" --max_steps=2 --output_dir="$out/other"

# Read-only and full output folders: tmpfs mounts (root only).
if [ "$(id -u)" = 0 ] && mkdir -p "$out/ro" && mount -t tmpfs -o ro,size=1m tmpfs "$out/ro" 2>/dev/null; then
  mounted+=("$out/ro")
  refused "a read-only --output_dir" "cannot write into --output_dir $out/ro" \
    ptb_search --data_path="$out/c" "${small[@]}" --max_steps=2 --output_dir="$out/ro"

  # 5 MiB: the initial checkpoint (2.0 MB at this size) and that of epoch 1 (step 109) fit; the
  # third does not, beside the two kept.
  mkdir -p "$out/full" && mount -t tmpfs -o size=5m tmpfs "$out/full" && mounted+=("$out/full")
  full=(--data_path="$out/c" "${small[@]}" --num_epochs=3 --controller_train_steps=2 --derive_samples=2
        --output_dir="$out/full")
  refused "a full --output_dir" "No space left on device" ptb_search "${full[@]}"
  ls -l "$out/full" | sed 's/^/     /'
  check "the checkpoints already there are whole (the newest is read back)" test -f "$out/full/checkpoint-109.pt"
  check "no temporary file is left" test -z "$(find "$out/full" -name '.checkpoint-*')"
  mount -o remount,size=16m "$out/full"
  "$build/examples/ptb_search" --noplot --threads=1 "${full[@]}" >"$out/resumed.out" 2>&1
  check "with room again, the same command resumes from epoch 1 and finishes" \
    bash -c "grep -q 'Resumed from .*checkpoint-109.pt' '$out/resumed.out' && test -s '$out/full/best_arc.txt'"
else
  echo "not run: the read-only and full output folders need a tmpfs mount (root)"
fi

[ "$failures" = 0 ]
