#!/usr/bin/env bash
# Does the search work? ENAS (trained controller) against random search with weight sharing (the
# same Supernet with controllers::Random), on the same data, budget and seeds; then the best
# derived architecture of each run, and a few architectures drawn uniformly from the space, are
# retrained from scratch with the final program. Ends with one table and plots
# (scripts/compare_report.py); docs/results.md reports what it printed.
#
#   scripts/compare_search.sh ptb|micro
#
# Environment (defaults in brackets; the sizes are small enough for a 2-core CPU):
#   SEEDS         seeds of the searches                         ["0 1 2"]
#   RANDOM_ARCHS  uniformly drawn architectures retrained      [3]
#   OUT           output folder                                 [outputs/compare_<family>]
#   SEARCH_FLAGS  flags of every search (both arms)             [see below]
#   FINAL_FLAGS   flags of every retraining                     [see below]
#   PARALLEL      1: run the two arms of a seed at once, one thread each (same total work;
#                 on a 2-core CPU small models run faster so than one after the other) [0]
# Rerunning the same command skips finished runs and resumes an interrupted one.
set -euo pipefail
cd "$(dirname "$0")/.."
family=${1:?usage: scripts/compare_search.sh ptb|micro}
bin=${ENAS_BUILD_DIR:-build}/examples
seeds=${SEEDS:-0 1 2}
random_archs=${RANDOM_ARCHS:-3}
out=${OUT:-outputs/compare_$family}

case "$family" in
  ptb)
    search=ptb_search final=ptb_final space=ptb random_flag="--search_for=random" enas_flag="--search_for=enas"
    # docs/results.md's comparison: at hidden 64 the script's lr 0.25 is too large (results.md says
    # why), and retraining at hidden 64 for one epoch does not leave the word-frequency level.
    search_flags=${SEARCH_FLAGS:---child_lstm_hidden_size=64 --batch_size=64 --num_epochs=4 --child_lr=0.05 --controller_train_steps=20 --log_every=100}
    final_flags=${FINAL_FLAGS:---child_lstm_hidden_size=128 --batch_size=64 --num_epochs=1 --child_lr=20 --log_every=100}
    ;;
  micro)
    search=cifar10_micro_search final=cifar10_micro_final space=micro random_flag="--search_for=random"
    enas_flag="--search_for=enas"
    search_flags=${SEARCH_FLAGS:---child_num_layers=3 --child_out_filters=8 --batch_size=64 --num_epochs=1 --controller_train_steps=20 --log_every=100}
    final_flags=${FINAL_FLAGS:---child_num_layers=3 --child_out_filters=8 --batch_size=64 --num_epochs=1 --log_every=100}
    ;;
  *) echo "compare_search.sh: unknown family '$family' (ptb or micro)" >&2; exit 2 ;;
esac
mkdir -p "$out"
echo "family=$family seeds=[$seeds] random_archs=$random_archs" > "$out/settings.txt"
echo "search_flags=$search_flags" >> "$out/settings.txt"
echo "final_flags=$final_flags" >> "$out/settings.txt"

# run_once <dir> <command...>: runs unless <dir>/done exists; records the wall time.
run_once() {
  local dir=$1
  shift
  if [ -f "$dir/done" ]; then echo "== $dir: done already"; return; fi
  mkdir -p "$dir"
  echo "== $dir"
  local start=$SECONDS
  "$@" --output_dir="$dir" --noplot > "$dir/console.log" 2>&1 || { echo "failed: see $dir/console.log" >&2; tail -5 "$dir/console.log" >&2; exit 1; }
  echo "$((SECONDS - start))" > "$dir/seconds"
  touch "$dir/done"
}

# arm <seed> <enas|random> [extra flags]: the search, then the retraining of its derived architecture.
arm() {
  local seed=$1 arm=$2 flag=$enas_flag
  shift 2
  [ "$arm" = random ] && flag=$random_flag
  # shellcheck disable=SC2086
  run_once "$out/seed$seed/$arm" "$bin/$search" $flag --seed="$seed" $search_flags "$@"
  # shellcheck disable=SC2086
  run_once "$out/seed$seed/$arm/final" "$bin/$final" --child_fixed_arc="$(cat "$out/seed$seed/$arm/best_arc.txt")" \
    --seed="$seed" $final_flags "$@"
}

for seed in $seeds; do
  if [ "${PARALLEL:-0}" = 1 ]; then
    arm "$seed" enas --threads=1 &
    enas_job=$!
    arm "$seed" random --threads=1 &
    random_job=$!
    status=0
    wait "$enas_job" || status=1
    wait "$random_job" || status=1
    [ "$status" = 0 ] || exit 1
  else
    arm "$seed" enas
    arm "$seed" random
  fi
done

# Architectures drawn uniformly from the space, retrained the same way (seed 0); with PARALLEL=1
# two at a time, one thread each (two-thread runs beside other runs thrash on a 2-core CPU).
"$bin/enas_draw" --space "$space" --sample "$random_archs" --seed 12345 > "$out/uniform_arcs.txt"
uniform() {
  local i=$1 arc=$2
  shift 2
  # shellcheck disable=SC2086
  run_once "$out/uniform$i" "$bin/$final" --child_fixed_arc="$arc" --seed=0 $final_flags "$@"
  echo "$arc" > "$out/uniform$i/arc.txt"
}
i=0
jobs_running=()
while read -r arc; do
  if [ "${PARALLEL:-0}" = 1 ]; then
    uniform "$i" "$arc" --threads=1 &
    jobs_running+=($!)
    if [ "${#jobs_running[@]}" -ge 2 ]; then
      for job in "${jobs_running[@]}"; do wait "$job" || exit 1; done
      jobs_running=()
    fi
  else
    uniform "$i" "$arc"
  fi
  i=$((i + 1))
done < "$out/uniform_arcs.txt"
for job in "${jobs_running[@]}"; do wait "$job" || exit 1; done

/usr/bin/python3 scripts/compare_report.py "$out"
