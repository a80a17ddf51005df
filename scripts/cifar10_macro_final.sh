#!/usr/bin/env bash
# Trains the published 24-layer macro network with the hyper-parameters of the reference's
# scripts/cifar10_macro_final.sh. Pass --child_fixed_arc "..." (and --child_num_layers) for another.
# Rerunning the same command resumes from the newest checkpoint in --output_dir; add
# --reset_output_dir to start afresh (the reference scripts reset).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${ENAS_BUILD_DIR:-build}/examples/cifar10_macro_final" \
  --data_format=NCHW --search_for=macro --output_dir=outputs/cifar10_macro_final \
  --batch_size=100 --num_epochs=310 --log_every=50 --eval_every_epochs=1 \
  --child_use_aux_heads --child_num_layers=24 --child_out_filters=96 --child_l2_reg=2e-4 \
  --child_num_branches=4 --child_num_cells=5 --child_keep_prob=0.50 \
  --child_lr_cosine --child_lr_max=0.05 --child_lr_min=0.001 --child_lr_T_0=10 --child_lr_T_mul=2 "$@"
