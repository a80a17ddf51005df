#!/usr/bin/env bash
# Trains the published cells with the hyper-parameters of the reference's
# scripts/cifar10_micro_final.sh plus --child_cutout_size=16 (the paper's 2.89 % result needs it).
# Rerunning the same command resumes from the newest checkpoint in --output_dir; add
# --reset_output_dir to start afresh (the reference scripts reset).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${ENAS_BUILD_DIR:-build}/examples/cifar10_micro_final" \
  --data_format=NCHW --search_for=micro --output_dir=outputs/cifar10_micro_final \
  --batch_size=144 --num_epochs=630 --log_every=50 --eval_every_epochs=1 \
  --child_fixed_arc="0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1" \
  --child_use_aux_heads --child_num_layers=15 --child_out_filters=36 --child_num_branches=5 --child_num_cells=5 \
  --child_keep_prob=0.80 --child_drop_path_keep_prob=0.60 --child_l2_reg=2e-4 --child_cutout_size=16 \
  --child_lr_cosine --child_lr_max=0.05 --child_lr_min=0.0001 --child_lr_T_0=10 --child_lr_T_mul=2 "$@"
