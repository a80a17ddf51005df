#!/usr/bin/env bash
# Interruption (docs/reliability.md): a small PTB search is killed at random moments, at least
# $ENAS_KILLS times (default 20; SIGKILL, SIGTERM and SIGINT in turn), and started again with the
# same command each time, until it finishes. It must end with the derived cell, the final
# validation perplexity and the whole training log (every child and controller line, every
# evaluation) of an uninterrupted run. Then the same for two ranks, where one rank (either) is
# killed each time and the other must give up by itself. Each kill is reported with what the run
# was doing (the last line it logged).
#   interrupt_restart.sh <build dir>
# Needs the real PTB (a slice of it is the corpus); without it it reports "skipped".
set -uo pipefail
build=$1
kills_wanted=${ENAS_KILLS:-20}
out=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${ENAS_KEEP:-}" ] || rm -rf "$out"' EXIT

source "$(dirname "$0")/common.sh"
ptb=$(find_data ptb ptb.train.txt)
if [ -z "$ptb" ]; then
  echo "skipped: the real PTB folder is needed (data/, \$ENAS_DATA_DIR or ../shared/data)"
  exit 0
fi
small_ptb "$ptb" "$out/ptb"  # 109 steps per epoch


# One process runs 40 epochs (about 50 s here): a start makes at most 1.5 s of progress (less its
# own start-up) before it is killed, so 20 kills cannot reach the end. Two ranks run 4, since each
# of their starts takes longer. A rank whose peer was killed gives up within
# --dist_timeout.
flags=(--data_path="$out/ptb" --child_lstm_hidden_size=16 --batch_size=8 --child_bptt_steps=10
       --log_every=10 --controller_train_steps=6 --controller_num_aggregate=4 --derive_samples=8 --noplot
       --threads=1 --seed=3 --dist_timeout=8)
epochs() { [ "$1" = 1 ] && echo 40 || echo 4; }

# The training record of a run: every event of metrics.jsonl but the wall time and the
# bookkeeping of checkpoints, resumes, launches and warnings (a restart may warn).
record() {
  python3 - "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1] + "/metrics.jsonl"):
    j = json.loads(line)  # fails on a torn line
    if j["event"] in ("checkpoint", "resume", "warning", "world", "config", "params"):
        continue
    j.pop("mins", None)
    print(json.dumps(j, sort_keys=True))
EOF
}
final_ppl() { record "$1" | grep '"valid_ppl"' | tail -1; }

# launch <tag> <world size> <dir>: the run in the background (ranks 0..n-1); sets run_pids.
launch() {
  local tag=$1 world=$2 dir=$3
  run_pids=()
  if [ "$world" = 1 ]; then
    "$build/examples/ptb_search" "${flags[@]}" --num_epochs="$(epochs 1)" --output_dir="$dir" >>"$out/$tag.log" 2>&1 &
    run_pids+=($!)
  else
    local port
    port=$(free_port)
    for rank in $(seq 0 $((world - 1))); do
      env RANK=$rank WORLD_SIZE=$world LOCAL_RANK=$rank LOCAL_WORLD_SIZE=$world MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
        "$build/examples/ptb_search" "${flags[@]}" --num_epochs="$(epochs "$world")" --output_dir="$dir" \
        >>"$out/$tag.$rank.log" 2>&1 &
      run_pids+=($!)
    done
  fi
  pids+=("${run_pids[@]}")
}
all_alive() {
  for p in "${run_pids[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done
}
wait_all() {  # sets codes
  local c=()
  for p in "${run_pids[@]}"; do
    wait "$p"
    c+=($?)
  done
  codes="${c[*]}"
}
phase() {  # <dir> <bytes of its stdout at the start>: what the run was doing, its last log line
  local now
  now=$(stat -c %s "$1/stdout" 2>/dev/null || echo 0)
  if [ "$now" -le "$2" ]; then echo "starting (nothing logged yet)"; else tail -n 1 "$1/stdout" | cut -c1-70; fi
}

# kill_loop <tag> <world size>: runs to the end with kills; prints one line per kill.
kill_loop() {
  local tag=$1 world=$2 dir="$out/$1" kills=0 starts=0 signals=(KILL TERM INT) sig victim
  local started finished=0
  rm -rf "$dir"
  while [ "$finished" = 0 ]; do
    starts=$((starts + 1))
    local logged printed console
    logged=$(stat -c %s "$dir/stdout" 2>/dev/null || echo 0)
    console="$out/$tag.log"
    [ "$world" = 1 ] || console="$out/$tag.0.log"
    printed=$(stat -c %s "$console" 2>/dev/null || echo 0)
    launch "$tag" "$world" "$dir"
    started=$(date +%s.%N)
    if [ "$kills" -lt "$kills_wanted" ]; then
      # A moment in the run: 0.3 to 1.5 s after the start (the start itself takes about 0.5 s).
      sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + 1.2 * r / 32767 }')"
      if all_alive; then
        sig=${signals[$((kills % 3))]}
        victim=${run_pids[$((RANDOM % world))]}
        if [ "$sig" = INT ]; then
          # A background job of a script starts with SIGINT ignored, until the program installs
          # its handler (after loading LibTorch): send it once this start has printed a line (its
          # standard output, appended to by every start; rank 0's for two ranks).
          for _ in $(seq 50); do
            [ "$(stat -c %s "$console" 2>/dev/null || echo 0)" -gt "$printed" ] && break
            sleep 0.1
          done
        fi
        local doing
        doing=$(phase "$dir" "$logged")
        kill -s "$sig" "$victim"
        wait_all
        kills=$((kills + 1))
        echo "  kill $kills: SIG$sig to $([ "$world" = 1 ] && echo "the run" || echo "one of $world ranks") after $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (exit codes $codes; it was at: $doing)"
        continue
      fi
    fi
    wait_all
    if [ "$codes" = "$(printf '0 %.0s' $(seq "$world") | sed 's/ $//')" ]; then
      finished=1
    elif [ "$starts" -gt $((kills_wanted * 3)) ]; then
      echo "  gave up: $starts starts, the last exit codes $codes"
      return 1
    fi
  done
  echo "  $tag: $kills kills, $starts starts"
  [ "$kills" -ge "$kills_wanted" ]
}

compare() {  # <tag of the uninterrupted run> <tag of the killed run> <what>
  local a="$out/$1" b="$out/$2"
  check "$3: the same derived cell ($(cat "$a/best_arc.txt" 2>/dev/null))" cmp -s "$a/best_arc.txt" "$b/best_arc.txt"
  check "$3: the same final validation perplexity ($(final_ppl "$a" | grep -o '"valid_ppl": [0-9.]*'))" \
    test -n "$(final_ppl "$a")" -a "$(final_ppl "$a")" = "$(final_ppl "$b")"
  check "$3: every line of metrics.jsonl is whole and the training record is the uninterrupted one's" \
    cmp -s <(record "$a") <(record "$b")
  check "$3: no temporary checkpoint left behind" test -z "$(find "$b" -name '.checkpoint-*')"
}

# One process.
launch whole 1 "$out/whole"
wait_all
check "an uninterrupted run finishes ($codes)" test "$codes" = 0
echo "one process, killed at random moments:"
check "one process: $kills_wanted kills and restarts, then it finishes" kill_loop killed 1
compare whole killed "one process"

# Two ranks; one of them killed each time.
launch whole2 2 "$out/whole2"
wait_all
check "two ranks, uninterrupted, finish ($codes)" test "$codes" = "0 0"
echo "two ranks, one of them killed at random moments:"
check "two ranks: $kills_wanted kills and restarts, then they finish" kill_loop killed2 2
compare whole2 killed2 "two ranks"

echo "$passed passed, $failures failed"
if [ "$failures" != 0 ]; then
  for f in "$out"/*.log; do echo "== $f"; tail -n 5 "$f"; done
fi
[ "$failures" = 0 ]
