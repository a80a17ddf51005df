/// @file
/// @brief Options of the PTB programs, named after the reference's flags, with the values of
/// scripts/ptb_search.sh and scripts/ptb_final.sh as defaults (enas-reference.md §2.1, §2.2).
#ifndef ENAS_TRAIN_LM_OPTIONS_HPP
#define ENAS_TRAIN_LM_OPTIONS_HPP

#include <cstdint>
#include <tuple>

#include "enas/core/option_table.hpp"
#include "enas/train/loop_options.hpp"

namespace enas::train {

/// Child model, optimizer and loop settings of a PTB search or final training. Each member's
/// flag, help and bound are in fields().
struct LmOptions {
  std::int64_t batch_size = 20;
  std::int64_t bptt = 35;
  std::int64_t num_epochs = 100;
  std::int64_t hidden = 720;
  double e_keep = 0.75;
  double x_keep = 0.25;
  double h_keep = 0.75;
  double o_keep = 0.25;
  double grad_bound = 10.0;
  double lr = 0.25;
  std::int64_t lr_dec_start = 12;
  std::int64_t lr_dec_every = 1;
  double lr_dec_rate = 0.95;
  double lr_dec_min = 0.0005;
  double l2_reg = 1e-7;
  double slowness_reg = 0.0;
  std::int64_t log_every = 50;
  std::int64_t eval_every_epochs = 1;
  bool controller_training = true;
  std::int64_t controller_train_every = 1;
  std::int64_t derive_samples = 100;
  std::int64_t max_steps = -1;
  std::int64_t nonfinite_patience = 5;  ///< skipped steps in a row before a restore (docs/reliability.md)
  std::int64_t nonfinite_restores = 2;  ///< restores, each with the rate ×nonfinite_lr_factor, before a stop
  double nonfinite_lr_factor = 0.5;
  double best_valid_ppl = 67.0;          ///< test perplexity is computed when valid improves on this
  std::int64_t test_window = 256;
  bool cuda_graphs = true;               ///< final training on CUDA: replay the step from a CUDA graph
  bool sync_bn = true;                   ///< several processes: the search cell's batch norm over every rank's rows

  /// scripts/ptb_search.sh.
  static LmOptions search_defaults() { return LmOptions{}; }

  /// scripts/ptb_final.sh.
  static LmOptions final_defaults() {
    LmOptions o;
    o.batch_size = 64;
    o.num_epochs = 2000;
    o.hidden = 748;
    o.e_keep = 0.79;
    o.x_keep = 0.25;
    o.h_keep = 0.75;
    o.o_keep = 0.24;
    o.grad_bound = 0.25;
    o.lr = 20.0;
    o.slowness_reg = 1e-3;
    o.l2_reg = 5e-7;
    o.lr_dec_start = 14;
    o.lr_dec_every = 1;
    o.lr_dec_rate = 0.9991;
    o.lr_dec_min = 0.001;
    o.controller_training = false;
    return o;
  }

  /// Every flag of the PTB programs that sets a member here (enas-reference.md §2.1, §2.2).
  static constexpr auto fields() {
    using namespace option;  // field, control, the bounds, the tags
    using O = LmOptions;
    return std::tuple_cat(std::make_tuple(
        field("batch_size", &O::batch_size, "minibatch size B", at_least(1)),
        field("child_bptt_steps", &O::bptt, "BPTT window T", at_least(1)),
        field("child_lstm_hidden_size", &O::hidden, "hidden (and embedding) size H", at_least(1)),
        field("child_lstm_e_keep", &O::e_keep, "word-embedding dropout keep", above_up_to(0, 1)),
        field("child_lstm_x_keep", &O::x_keep, "input mask keep", above_up_to(0, 1)),
        field("child_lstm_h_keep", &O::h_keep, "recurrent mask keep", above_up_to(0, 1)),
        field("child_lstm_o_keep", &O::o_keep, "output mask keep", above_up_to(0, 1)),
        field("child_grad_bound", &O::grad_bound, "global-norm gradient clip (0: off)", at_least(0)),
        field("child_lr", &O::lr, "SGD learning rate", above(0)),
        field("child_lr_dec_start", &O::lr_dec_start, "epochs before the decay starts", at_least(0)),
        field("child_lr_dec_every", &O::lr_dec_every, "epochs between decays", at_least(1)),
        field("child_lr_dec_rate", &O::lr_dec_rate, "decay factor", above(0)),
        field("child_lr_dec_min", &O::lr_dec_min, "learning-rate floor", at_least(0)),
        field("child_l2_reg", &O::l2_reg, "L2 weight on the sum of squared weights", at_least(0)),
        field("child_rnn_slowness_reg", &O::slowness_reg, "weight of the slowness term (final model)", at_least(0)),
        control("test_window", &O::test_window, "tokens per window of the batch-1 test pass", at_least(1)),
        control("cuda_graphs", &O::cuda_graphs,
                "on CUDA, capture the training step once as a CUDA graph and replay it (one launch per step)", any(),
                kFinalOnly),
        control("sync_bn", &O::sync_bn,
                "several processes: the search cell's batch-norm statistics over the whole batch (every rank's "
                "rows), so that N ranks compute what one process computes; off, each rank normalises its own "
                "share (as DistributedDataParallel), with far fewer collectives",
                any(), kSearchOnly)),
                          loop_fields<LmOptions>());
  }

  /// Throws ConfigError naming the first flag whose value is out of its bound.
  void validate() const { option::check_bounds(*this); }
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_LM_OPTIONS_HPP
