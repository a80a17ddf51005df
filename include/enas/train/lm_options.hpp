/// @file
/// @brief Options of the PTB programs, named after the reference's flags, with the values of
/// scripts/ptb_search.sh and scripts/ptb_final.sh as defaults (enas-reference.md §2.1, §2.2).
#ifndef ENAS_TRAIN_LM_OPTIONS_HPP
#define ENAS_TRAIN_LM_OPTIONS_HPP

#include <cstdint>
#include <string>

#include "enas/core/error.hpp"

namespace enas::train {

/// Child model, optimizer and loop settings of a PTB search or final training.
struct LmOptions {
  std::int64_t batch_size = 20;          ///< batch_size
  std::int64_t bptt = 35;                ///< child_bptt_steps
  std::int64_t num_epochs = 100;         ///< num_epochs
  std::int64_t hidden = 720;             ///< child_lstm_hidden_size
  double e_keep = 0.75;                  ///< child_lstm_e_keep
  double x_keep = 0.25;                  ///< child_lstm_x_keep
  double h_keep = 0.75;                  ///< child_lstm_h_keep
  double o_keep = 0.25;                  ///< child_lstm_o_keep
  double grad_bound = 10.0;              ///< child_grad_bound (global norm)
  double lr = 0.25;                      ///< child_lr
  std::int64_t lr_dec_start = 12;        ///< child_lr_dec_start (epochs)
  std::int64_t lr_dec_every = 1;         ///< child_lr_dec_every (epochs)
  double lr_dec_rate = 0.95;             ///< child_lr_dec_rate
  double lr_dec_min = 0.0005;            ///< child_lr_dec_min
  double l2_reg = 1e-7;                  ///< child_l2_reg
  double slowness_reg = 0.0;             ///< child_rnn_slowness_reg (0 = none)
  std::int64_t log_every = 50;           ///< log_every (steps)
  std::int64_t eval_every_epochs = 1;    ///< eval_every_epochs
  bool controller_training = true;       ///< controller_training
  std::int64_t controller_train_every = 1;  ///< controller_train_every (epochs)
  std::int64_t derive_samples = 100;     ///< architectures sampled by derive at the end of a search
  std::int64_t max_steps = -1;           ///< stop after this many child steps (-1: no limit)
  double best_valid_ppl = 67.0;          ///< test perplexity is computed when valid improves on this
  std::int64_t test_window = 256;        ///< tokens per window of the test pass (batch 1, state carried)

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

  void validate() const {
    auto need = [](bool ok, const std::string& what) {
      if (!ok) throw ConfigError(what);
    };
    need(batch_size >= 1, "--batch_size must be >= 1");
    need(bptt >= 1, "--child_bptt_steps must be >= 1");
    need(num_epochs >= 0, "--num_epochs must be >= 0");
    need(hidden >= 1, "--child_lstm_hidden_size must be >= 1");
    need(grad_bound >= 0, "--child_grad_bound must be >= 0");
    need(lr > 0, "--child_lr must be > 0");
    need(lr_dec_every >= 1, "--child_lr_dec_every must be >= 1");
    need(lr_dec_rate > 0, "--child_lr_dec_rate must be > 0");
    need(l2_reg >= 0 && slowness_reg >= 0, "--child_l2_reg and --child_rnn_slowness_reg must be >= 0");
    need(log_every >= 1, "--log_every must be >= 1");
    need(eval_every_epochs >= 1, "--eval_every_epochs must be >= 1");
    need(controller_train_every >= 1, "--controller_train_every must be >= 1");
    need(derive_samples >= 1, "--derive_samples must be >= 1");
    need(test_window >= 1, "--test_window must be >= 1");
  }
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_LM_OPTIONS_HPP
