#!/usr/bin/env bash
# ENAS search for a PTB cell with the hyper-parameters of the reference's scripts/ptb_search.sh
# (these are also the program's defaults; they are spelled out here for reference). Extra flags
# are passed on, e.g. --device cuda or --output_dir.
# Rerunning the same command resumes from the newest checkpoint in --output_dir; add
# --reset_output_dir to start afresh (the reference scripts reset).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${ENAS_BUILD_DIR:-build}/examples/ptb_search" \
  --search_for=enas --noreset_output_dir --output_dir=outputs/ptb_search \
  --batch_size=20 --child_bptt_steps=35 --num_epochs=100 \
  --child_lstm_hidden_size=720 --child_lstm_e_keep=0.75 --child_lstm_x_keep=0.25 \
  --child_lstm_h_keep=0.75 --child_lstm_o_keep=0.25 --child_grad_bound=10.0 \
  --child_lr=0.25 --child_lr_dec_start=12 --child_lr_dec_every=1 --child_lr_dec_rate=0.95 \
  --child_lr_dec_min=0.0005 --child_l2_reg=1e-7 --log_every=50 \
  --controller_training --controller_train_every=1 --controller_lr=0.001 \
  --controller_train_steps=100 --controller_num_aggregate=10 \
  --controller_tanh_constant=2.5 --controller_temperature=5.0 --controller_entropy_weight=0.001 \
  --eval_every_epochs=1 "$@"
