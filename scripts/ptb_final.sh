#!/usr/bin/env bash
# Trains the published ENAS cell with the hyper-parameters of the reference's scripts/ptb_final.sh.
# Pass --child_fixed_arc "..." to train another cell (e.g. outputs/ptb_search/best_arc.txt).
# Rerunning the same command resumes from the newest checkpoint in --output_dir; add
# --reset_output_dir to start afresh (the reference scripts reset).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${ENAS_BUILD_DIR:-build}/examples/ptb_final" \
  --output_dir=outputs/ptb_final \
  --batch_size=64 --child_bptt_steps=35 --num_epochs=2000 \
  --child_fixed_arc="0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1" \
  --child_lstm_hidden_size=748 --child_lstm_e_keep=0.79 --child_lstm_x_keep=0.25 \
  --child_lstm_h_keep=0.75 --child_lstm_o_keep=0.24 --child_grad_bound=0.25 \
  --child_lr=20.0 --child_rnn_slowness_reg=1e-3 --child_l2_reg=5e-7 \
  --child_lr_dec_start=14 --child_lr_dec_every=1 --child_lr_dec_rate=0.9991 --child_lr_dec_min=0.001 \
  --log_every=50 --eval_every_epochs=1 "$@"
