// What the two NAS-Bench-201 programs share: the flags that mean something for this family (the
// benchmark has no dropout, auxiliary head or drop-path), with the library's flag names so that a
// command line reads like the CIFAR-10 programs'.
#ifndef ENAS_EXAMPLES_NAS_BENCH_201_PROGRAM_HPP
#define ENAS_EXAMPLES_NAS_BENCH_201_PROGRAM_HPP

#include <enas/families/nas_bench_201.hpp>

#include "cifar_program.hpp"

namespace program {

using NasBench201 = enas::nas_bench_201::NasBench201;

/// The child network's sizes, optimizer and loop; defaults from `o`.
inline void add_nas_bench_201_flags(CLI::App& app, enas::train::ImageOptions& o) {
  app.add_option("--batch_size", o.batch_size, "minibatch size (also the controller's reward batch)")->capture_default_str();
  app.add_option("--num_epochs", o.num_epochs, "training epochs")->capture_default_str();
  app.add_option("--eval_every_epochs", o.eval_every_epochs, "epochs between evaluations")->capture_default_str();
  app.add_option("--child_num_layers", o.num_layers, "cells per stage N (three stages)")->capture_default_str();
  app.add_option("--child_out_filters", o.out_filters, "channels C of the first stage (2C, 4C after)")->capture_default_str();
  app.add_option("--child_cutout_size", o.cutout_size, "cutout square size (0: off)")->capture_default_str();
  app.add_option("--child_l2_reg", o.l2_reg, "L2 weight (weight decay)")->capture_default_str();
  app.add_option("--child_grad_bound", o.grad_bound, "global-norm gradient clip (0: off)")->capture_default_str();
  app.add_option("--child_lr_max", o.lr_max, "cosine maximum")->capture_default_str();
  app.add_option("--child_lr_min", o.lr_min, "cosine minimum")->capture_default_str();
  app.add_option("--child_lr_T_0", o.lr_t0, "first cosine period (epochs)")->capture_default_str();
  app.add_option("--child_lr_T_mul", o.lr_t_mul, "period multiplier")->capture_default_str();
  app.add_option("--eval_batch_size", o.eval_batch_size, "evaluation batch")->capture_default_str();
  program::add_switch(app, "channels_last", o.channels_last, "run the networks in NHWC memory layout (faster with oneDNN/cuDNN)");
}

}  // namespace program

#endif  // ENAS_EXAMPLES_NAS_BENCH_201_PROGRAM_HPP
