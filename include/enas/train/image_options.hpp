/// @file
/// @brief Options of the CIFAR-10 programs, named after the reference's flags, with the values of
/// scripts/cifar10_{macro,micro}_{search,final}.sh as defaults (enas-reference.md §2.3-§2.6, §7).
#ifndef ENAS_TRAIN_IMAGE_OPTIONS_HPP
#define ENAS_TRAIN_IMAGE_OPTIONS_HPP

#include <cstdint>
#include <tuple>

#include "enas/core/option_table.hpp"
#include "enas/train/loop_options.hpp"

namespace enas::train {

/// Child network, optimizer and loop settings of a CIFAR-10 search or final training. Each
/// member's flag, help and bound are in fields().
struct ImageOptions {
  /// Tag of the flags of the reference's CIFAR-10 child (dropout, drop-path, auxiliary head), which
  /// a family without those parts (NAS-Bench-201) leaves out.
  static constexpr unsigned kReferenceChild = 1u << 2;

  std::int64_t batch_size = 128;
  std::int64_t num_epochs = 310;
  std::int64_t num_layers = 12;
  std::int64_t out_filters = 36;
  double keep_prob = 0.9;
  double drop_path_keep_prob = 1.0;
  bool use_aux_heads = false;
  double aux_weight = 0.4;              ///< weight of the auxiliary loss (no flag, as in the reference)
  std::int64_t cutout_size = 0;
  double l2_reg = 2.5e-4;
  double grad_bound = 5.0;
  double lr_max = 0.05;
  double lr_min = 0.0005;
  std::int64_t lr_t0 = 10;
  std::int64_t lr_t_mul = 2;
  std::int64_t log_every = 50;
  std::int64_t eval_every_epochs = 1;
  std::int64_t eval_batch_size = 100;
  bool controller_training = true;
  std::int64_t controller_train_every = 1;
  std::int64_t derive_samples = 100;
  std::int64_t max_steps = -1;
  std::int64_t nonfinite_patience = 5;  ///< skipped steps in a row before a restore (docs/reliability.md)
  std::int64_t nonfinite_restores = 2;  ///< restores, each with the rate ×nonfinite_lr_factor, before a stop
  double nonfinite_lr_factor = 0.5;
  bool channels_last = true;
  bool mixed_precision = false;   ///< bf16 autocast of the child network (util/autocast.hpp)
  bool cudnn_benchmark = true;    ///< on CUDA, let cuDNN time and pick its convolution algorithms
  bool cuda_graphs = true;        ///< final training on CUDA: replay the step from a CUDA graph
  bool sync_bn = true;            ///< several processes: batch norm over the whole batch (final: off, as DDP)

  /// scripts/cifar10_macro_search.sh.
  static ImageOptions macro_search_defaults() { return ImageOptions{}; }

  /// scripts/cifar10_macro_final.sh.
  static ImageOptions macro_final_defaults() {
    ImageOptions o;
    o.batch_size = 100;
    o.num_layers = 24;
    o.out_filters = 96;
    o.l2_reg = 2e-4;
    o.keep_prob = 0.5;
    o.lr_min = 0.001;
    o.controller_training = false;
    o.sync_bn = false;
    return o;
  }

  /// scripts/cifar10_micro_search.sh.
  static ImageOptions micro_search_defaults() {
    ImageOptions o;
    o.batch_size = 160;
    o.num_epochs = 150;
    o.use_aux_heads = true;
    o.num_layers = 6;
    o.out_filters = 20;
    o.l2_reg = 1e-4;
    o.keep_prob = 0.9;
    o.drop_path_keep_prob = 0.6;  // set by the script; no effect in search (§2.5)
    return o;
  }

  /// scripts/cifar10_micro_final.sh, plus --child_cutout_size=16 (§0).
  static ImageOptions micro_final_defaults() {
    ImageOptions o;
    o.batch_size = 144;
    o.num_epochs = 630;
    o.use_aux_heads = true;
    o.num_layers = 15;
    o.out_filters = 36;
    o.keep_prob = 0.8;
    o.drop_path_keep_prob = 0.6;
    o.l2_reg = 2e-4;
    o.lr_min = 0.0001;
    o.cutout_size = 16;
    o.controller_training = false;
    o.sync_bn = false;
    return o;
  }

  /// Every flag of the image programs that sets a member here (enas-reference.md §2.3-§2.6).
  static constexpr auto fields() {
    using namespace option;  // field, control, the bounds, the tags
    using O = ImageOptions;
    return std::tuple_cat(std::make_tuple(
        field("batch_size", &O::batch_size, "minibatch size (also the controller's reward batch)", at_least(1)),
        field("child_num_layers", &O::num_layers, "layers (macro) or normal cells (micro)", at_least(1)),
        field("child_out_filters", &O::out_filters, "filters F of the first stage (even)", at_least(2)),
        field("child_keep_prob", &O::keep_prob, "dropout keep before the classifier", above_up_to(0, 1), kReferenceChild),
        field("child_drop_path_keep_prob", &O::drop_path_keep_prob, "micro final: drop-path keep", above_up_to(0, 1),
              kReferenceChild),
        field("child_use_aux_heads", &O::use_aux_heads, "micro: auxiliary head (weight 0.4)", any(), kReferenceChild),
        field("child_cutout_size", &O::cutout_size, "cutout square size (0: off)", within(0, 32)),
        field("child_l2_reg", &O::l2_reg, "L2 weight", at_least(0)),
        field("child_grad_bound", &O::grad_bound, "global-norm gradient clip (0: off)", at_least(0)),
        field("child_lr_max", &O::lr_max, "cosine maximum", at_least(0)),
        field("child_lr_min", &O::lr_min, "cosine minimum", at_least(0)),
        field("child_lr_T_0", &O::lr_t0, "first cosine period (epochs)", at_least(1)),
        field("child_lr_T_mul", &O::lr_t_mul, "period multiplier", at_least(1)),
        control("eval_batch_size", &O::eval_batch_size, "evaluation batch", at_least(1)),
        field("channels_last", &O::channels_last, "run the networks in NHWC memory layout (faster with oneDNN/cuDNN)"),
        control("mixed_precision", &O::mixed_precision,
                "run the child network's convolutions and products in bfloat16 (autocast); weights, gradients, "
                "the loss and the controller stay float"),
        control("cudnn_benchmark", &O::cudnn_benchmark,
                "on CUDA, time cuDNN's convolution algorithms once per shape and keep the fastest"),
        control("cuda_graphs", &O::cuda_graphs,
                "on CUDA, capture the training step once as a CUDA graph and replay it (one launch per step; the "
                "smaller last batch of an epoch runs eagerly)",
                any(), kFinalOnly),
        control("sync_bn", &O::sync_bn,
                "several processes: every batch norm of a training step takes the whole batch's statistics (every "
                "rank's rows), so that N ranks compute what one process computes; off, each rank normalises its "
                "own share, as DistributedDataParallel (on by default in searches, off in final training)")),
                          loop_fields<ImageOptions>());
  }

  /// Throws ConfigError naming the first flag whose value is out of its bound or breaks a rule.
  void validate() const {
    option::check_bounds(*this);
    option::require(out_filters % 2 == 0, "child_out_filters", out_filters,
                    "expected an even number (factorized reductions halve it)");
    option::require(lr_max >= lr_min, "child_lr_max", lr_max, "expected >= --child_lr_min (" + option::value_text(lr_min) + ")");
    if (!(aux_weight >= 0)) throw ConfigError("ImageOptions::aux_weight = " + option::value_text(aux_weight) + ": expected >= 0");
  }
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_IMAGE_OPTIONS_HPP
