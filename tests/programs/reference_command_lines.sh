#!/usr/bin/env bash
# The reference's six command lines (enas-reference.md §2, every flag its scripts pass, including
# those its main.py never defines) must run unchanged: each program builds its model, prints the
# configuration and exits (--max_steps=0). Values this library cannot honour are refused by name.
#   reference_command_lines.sh <build dir>
# The data folders are looked up as the programs do; without them the test reports "skipped".
set -uo pipefail
build=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

source "$(dirname "$0")/find_data.sh"
ptb=$(find_data ptb ptb.train.txt)
cifar=$(find_data cifar-10-batches-bin data_batch_1.bin)
if [ -z "$ptb" ] || [ -z "$cifar" ]; then
  echo "skipped: the real PTB and CIFAR-10 folders are needed (data/, \$ENAS_DATA_DIR or ../shared/data)"
  exit 0
fi

failures=0
passed=0
# run <name> <expected exit code> <text the output must hold> <program> <flags...>
run() {
  local name=$1 code=$2 want=$3 program=$4
  shift 4
  local log="$out/$name.log"
  "$build/examples/$program" "$@" --max_steps=0 --noplot --output_dir="$out/$name" >"$log" 2>&1
  local got=$?
  if [ "$got" != "$code" ] || ! grep -q -F -- "$want" "$log"; then
    echo "FAIL $name: exit $got (expected $code), output lacks '$want':"
    tail -n 5 "$log"
    failures=$((failures + 1))
  else
    echo "ok   $name"
    passed=$((passed + 1))
  fi
}

ptb_search_flags=(--search_for="enas" --noreset_output_dir --data_path="$ptb" --batch_size=20 --child_bptt_steps=35 \
  --num_epochs=100 --child_rhn_depth=12 --child_num_layers=1 --child_lstm_hidden_size=720 --child_lstm_e_keep=0.75 \
  --child_lstm_x_keep=0.25 --child_lstm_h_keep=0.75 --child_lstm_o_keep=0.25 --nochild_lstm_e_skip \
  --child_grad_bound=10.0 --child_lr=0.25 --child_lr_dec_start=12 --child_lr_dec_every=1 --child_lr_dec_rate=0.95 \
  --child_lr_dec_min=0.0005 --child_optim_algo="sgd" --child_l2_reg=1e-7 --log_every=50 --controller_training \
  --controller_train_every=1 --controller_lr=0.001 --controller_sync_replicas --controller_train_steps=100 \
  --controller_num_aggregate=10 --controller_tanh_constant=2.5 --controller_temperature=5.0 \
  --controller_entropy_weight=0.001 --eval_every_epochs=1)
run ptb_search 0 "params=" ptb_search "${ptb_search_flags[@]}"

run ptb_final 0 "params=" ptb_final --search_for="enas" --reset_output_dir --data_path="$ptb" --batch_size=64 \
  --child_bptt_steps=35 --num_epochs=2000 --child_fixed_arc="0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1" \
  --child_rhn_depth=12 --child_num_layers=1 --child_lstm_hidden_size=748 --child_lstm_e_keep=0.79 \
  --child_lstm_x_keep=0.25 --child_lstm_h_keep=0.75 --child_lstm_o_keep=0.24 --nochild_lstm_e_skip \
  --child_grad_bound=0.25 --child_lr=20.0 --child_rnn_slowness_reg=1e-3 --child_l2_reg=5e-7 --child_lr_dec_start=14 \
  --child_lr_dec_every=1 --child_lr_dec_rate=0.9991 --child_lr_dec_min=0.001 --child_optim_algo="sgd" --log_every=50 \
  --nocontroller_training --controller_selection_threshold=5 --controller_train_every=1 --controller_lr=0.001 \
  --controller_sync_replicas --controller_train_steps=100 --controller_num_aggregate=10 \
  --controller_tanh_constant=3.0 --controller_temperature=2.0 --controller_entropy_weight=0.0001 --eval_every_epochs=1

macro_controller=(--controller_search_whole_channels --controller_entropy_weight=0.0001 --controller_train_every=1 \
  --controller_sync_replicas --controller_num_aggregate=20 --controller_train_steps=50 --controller_lr=0.001 \
  --controller_tanh_constant=1.5 --controller_op_tanh_reduce=2.5 --controller_skip_target=0.4 \
  --controller_skip_weight=0.8)
run macro_search 0 "params=" cifar10_macro_search --data_format="NCHW" --search_for="macro" --reset_output_dir \
  --data_path="$cifar" --batch_size=128 --num_epochs=310 --log_every=50 --eval_every_epochs=1 --child_use_aux_heads \
  --child_num_layers=12 --child_out_filters=36 --child_l2_reg=0.00025 --child_num_branches=6 \
  --child_num_cell_layers=5 --child_keep_prob=0.90 --child_drop_path_keep_prob=0.60 --child_lr_cosine \
  --child_lr_max=0.05 --child_lr_min=0.0005 --child_lr_T_0=10 --child_lr_T_mul=2 --controller_training \
  "${macro_controller[@]}"

run macro_final 0 "params=" cifar10_macro_final --data_format="NCHW" --search_for="macro" --reset_output_dir \
  --data_path="$cifar" --batch_size=100 --num_epochs=310 --log_every=50 --eval_every_epochs=1 --child_use_aux_heads \
  --child_num_layers=24 --child_out_filters=96 --child_l2_reg=2e-4 --child_num_branches=4 --child_num_cell_layers=5 \
  --child_keep_prob=0.50 --child_lr_cosine --child_lr_max=0.05 --child_lr_min=0.001 --child_lr_T_0=10 \
  --child_lr_T_mul=2 --nocontroller_training "${macro_controller[@]}"

micro_controller=(--controller_search_whole_channels --controller_entropy_weight=0.0001 --controller_train_every=1 \
  --controller_sync_replicas --controller_num_aggregate=10 --controller_train_steps=30 --controller_lr=0.0035 \
  --controller_tanh_constant=1.10 --controller_op_tanh_reduce=2.5)
run micro_search 0 "params=" cifar10_micro_search --data_format="NCHW" --search_for="micro" --reset_output_dir \
  --data_path="$cifar" --batch_size=160 --num_epochs=150 --log_every=50 --eval_every_epochs=1 --child_use_aux_heads \
  --child_num_layers=6 --child_out_filters=20 --child_l2_reg=1e-4 --child_num_branches=5 --child_num_cells=5 \
  --child_keep_prob=0.90 --child_drop_path_keep_prob=0.60 --child_lr_cosine --child_lr_max=0.05 --child_lr_min=0.0005 \
  --child_lr_T_0=10 --child_lr_T_mul=2 --controller_training "${micro_controller[@]}"

run micro_final 0 "params=" cifar10_micro_final --data_format="NCHW" --search_for="micro" --reset_output_dir \
  --data_path="$cifar" --batch_size=144 --num_epochs=630 --log_every=50 --eval_every_epochs=1 \
  --child_fixed_arc="0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1" \
  --child_use_aux_heads --child_num_layers=15 --child_out_filters=36 --child_num_branches=5 --child_num_cells=5 \
  --child_keep_prob=0.80 --child_drop_path_keep_prob=0.60 --child_l2_reg=2e-4 --child_lr_cosine --child_lr_max=0.05 \
  --child_lr_min=0.0001 --child_lr_T_0=10 --child_lr_T_mul=2 --nocontroller_training "${micro_controller[@]}"

# Values that would ask for something else are refused, naming the flag.
run refuse_sync_replicas 1 "--nocontroller_sync_replicas is not supported" ptb_search --data_path="$ptb" \
  --nocontroller_sync_replicas
run refuse_optim_algo 1 "--child_optim_algo=adam is not supported" cifar10_micro_search --data_path="$cifar" \
  --child_optim_algo=adam
run refuse_final_controller 1 "requires --nocontroller_training" ptb_final --data_path="$ptb" --controller_training
run refuse_search_for 105 "--search_for" ptb_final --data_path="$ptb" --search_for=random
run refuse_rhn_depth 1 "--child_rhn_depth=8 is not supported" ptb_search --data_path="$ptb" --child_rhn_depth=8
run refuse_bad_value 1 "--batch_size=0: expected >= 1" ptb_search --data_path="$ptb" --batch_size=0
run refuse_bad_controller_value 1 "--controller_bl_dec=2: expected in [0, 1]" cifar10_micro_search --data_path="$cifar" \
  --controller_bl_dec=2
run refuse_other_space 105 "--search_for" cifar10_macro_search --data_path="$cifar" --search_for=micro

# One flag chooses random search on every search program; --controller is its alias.
run random_search_for 0 "params=" cifar10_micro_search --data_path="$cifar" --search_for=random
run random_controller_alias 0 "params=" ptb_search --data_path="$ptb" --controller=random

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
