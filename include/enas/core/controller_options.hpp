/// @file
/// @brief Run-time hyper-parameters of a controller; each space supplies the reference script's
/// values as its defaults (Space::controller_defaults()).
#ifndef ENAS_CORE_CONTROLLER_OPTIONS_HPP
#define ENAS_CORE_CONTROLLER_OPTIONS_HPP

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
};

}  // namespace enas

#endif  // ENAS_CORE_CONTROLLER_OPTIONS_HPP
