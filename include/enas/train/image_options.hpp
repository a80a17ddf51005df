/// @file
/// @brief Options of the CIFAR-10 programs, named after the reference's flags, with the values of
/// scripts/cifar10_{macro,micro}_{search,final}.sh as defaults (enas-reference.md §2.3-§2.6, §7).
#ifndef ENAS_TRAIN_IMAGE_OPTIONS_HPP
#define ENAS_TRAIN_IMAGE_OPTIONS_HPP

#include <cstdint>
#include <string>

#include "enas/core/error.hpp"

namespace enas::train {

/// Child network, optimizer and loop settings of a CIFAR-10 search or final training.
struct ImageOptions {
  std::int64_t batch_size = 128;        ///< batch_size (also the controller's reward batch)
  std::int64_t num_epochs = 310;        ///< num_epochs
  std::int64_t num_layers = 12;         ///< child_num_layers (macro: fixed by the space type)
  std::int64_t out_filters = 36;        ///< child_out_filters F
  double keep_prob = 0.9;               ///< child_keep_prob (dropout before the classifier)
  double drop_path_keep_prob = 1.0;     ///< child_drop_path_keep_prob (micro final only)
  bool use_aux_heads = false;           ///< child_use_aux_heads (micro only)
  double aux_weight = 0.4;              ///< weight of the auxiliary loss
  std::int64_t cutout_size = 0;         ///< child_cutout_size (0 = off)
  double l2_reg = 2.5e-4;               ///< child_l2_reg
  double grad_bound = 5.0;              ///< child_grad_bound: global-norm clip (§0; 0 = off)
  double lr_max = 0.05;                 ///< child_lr_max
  double lr_min = 0.0005;               ///< child_lr_min
  std::int64_t lr_t0 = 10;              ///< child_lr_T_0
  std::int64_t lr_t_mul = 2;            ///< child_lr_T_mul
  std::int64_t log_every = 50;          ///< log_every
  std::int64_t eval_every_epochs = 1;   ///< eval_every_epochs
  std::int64_t eval_batch_size = 100;   ///< the reference's hard-coded evaluation batch
  bool controller_training = true;      ///< controller_training
  std::int64_t controller_train_every = 1;  ///< controller_train_every (epochs)
  std::int64_t derive_samples = 100;    ///< architectures sampled by derive at the end of a search
  std::int64_t max_steps = -1;          ///< stop after this many child steps (-1: no limit)
  bool channels_last = true;            ///< run the networks in channels-last (NHWC) memory layout

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
    return o;
  }

  void validate() const {
    auto need = [](bool ok, const std::string& what) {
      if (!ok) throw ConfigError(what);
    };
    need(batch_size >= 1, "--batch_size must be >= 1");
    need(num_epochs >= 0, "--num_epochs must be >= 0");
    need(out_filters >= 2 && out_filters % 2 == 0, "--child_out_filters must be even and >= 2");
    need(keep_prob > 0 && keep_prob <= 1, "--child_keep_prob must lie in (0, 1]");
    need(drop_path_keep_prob > 0 && drop_path_keep_prob <= 1, "--child_drop_path_keep_prob must lie in (0, 1]");
    need(cutout_size >= 0 && cutout_size <= 32, "--child_cutout_size must lie in 0..32");
    need(l2_reg >= 0 && grad_bound >= 0 && aux_weight >= 0, "--child_l2_reg and --child_grad_bound must be >= 0");
    need(lr_max >= lr_min && lr_min >= 0, "--child_lr_max must be >= --child_lr_min >= 0");
    need(lr_t0 >= 1 && lr_t_mul >= 1, "--child_lr_T_0 and --child_lr_T_mul must be >= 1");
    need(log_every >= 1 && eval_every_epochs >= 1, "--log_every and --eval_every_epochs must be >= 1");
    need(eval_batch_size >= 1, "--eval_batch_size must be >= 1");
    need(controller_train_every >= 1, "--controller_train_every must be >= 1");
    need(derive_samples >= 1, "--derive_samples must be >= 1");
  }
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_IMAGE_OPTIONS_HPP
