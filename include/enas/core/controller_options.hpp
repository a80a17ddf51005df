/// @file
/// @brief Run-time hyper-parameters of a controller; each space supplies the reference script's
/// values as its defaults (Space::controller_defaults()).
#ifndef ENAS_CORE_CONTROLLER_OPTIONS_HPP
#define ENAS_CORE_CONTROLLER_OPTIONS_HPP

#include <tuple>

#include "enas/core/option_table.hpp"

namespace enas {

/// Controller hyper-parameters with the names of the reference's flags (controller_*).
struct ControllerOptions {
  int lstm_size = 100;           ///< units of the one-layer controller LSTM
  double init_range = 0.1;       ///< weights start uniform in [-init_range, init_range]
  double tanh_constant = 0.0;    ///< logits = C * tanh(logits); 0 switches it off
  double op_tanh_reduce = 1.0;   ///< micro only: op logits use C / op_tanh_reduce (no such factor in PTB, macro)
  double temperature = 0.0;      ///< logits /= T before the tanh; 0 switches it off
  double entropy_weight = 0.0;   ///< reward += w * entropy of the sample
  double bl_dec = 0.99;          ///< baseline b <- b - (1 - bl_dec)(b - R)
  double lr = 1e-3;              ///< Adam learning rate (beta1 = 0, eps = 1e-3 as in the reference)
  double l2_reg = 0.0;           ///< l2 * sum(w^2) added to the controller loss
  double skip_target = 0.4;      ///< macro: target skip probability
  double skip_weight = 0.8;      ///< macro: weight of the skip KL penalty; 0 switches it off
  int train_steps = 50;          ///< Adam updates per controller phase
  int num_aggregate = 10;        ///< sampled architectures averaged into one update
  double collapse_entropy = 0.1;  ///< warn when the policy entropy falls below this fraction of
                                  ///< the uniform policy's (enas only; 0: never)

  /// The controller flags (the reference's names), every one offered by the search programs.
  static constexpr auto fields() {
    using namespace option;  // field, control, the bounds, kSearchOnly
    using O = ControllerOptions;
    return std::make_tuple(
        field("controller_lr", &O::lr, "Adam learning rate (beta1 0, epsilon 1e-3)", above(0)),
        field("controller_train_steps", &O::train_steps, "Adam updates per phase", at_least(0)),
        field("controller_num_aggregate", &O::num_aggregate, "samples averaged per update", at_least(1)),
        field("controller_tanh_constant", &O::tanh_constant, "logits = C·tanh(logits); 0: off", at_least(0)),
        field("controller_op_tanh_reduce", &O::op_tanh_reduce,
              "micro: op logits use C / this (no such factor in PTB and macro)", above(0)),
        field("controller_temperature", &O::temperature, "logits /= T; 0: off", at_least(0)),
        field("controller_entropy_weight", &O::entropy_weight, "reward += w·entropy", any()),
        field("controller_bl_dec", &O::bl_dec, "baseline decay", within(0, 1)),
        field("controller_l2_reg", &O::l2_reg, "controller L2", at_least(0)),
        field("controller_lstm_size", &O::lstm_size, "controller LSTM units", at_least(1)),
        field("controller_skip_target", &O::skip_target, "macro: target skip probability", within(0, 1)),
        field("controller_skip_weight", &O::skip_weight, "macro: weight of the skip KL", at_least(0)),
        control("controller_collapse_entropy", &O::collapse_entropy,
                "warn when the policy entropy falls below this fraction of the uniform policy's (0: never)",
                within(0, 1)));
  }

  /// Throws ConfigError naming the first flag whose value is out of its bound.
  void validate() const { option::check_bounds(*this); }
};

}  // namespace enas

#endif  // ENAS_CORE_CONTROLLER_OPTIONS_HPP
