/// @file
/// @brief The fields every task's options share: the loop's epochs, evaluation, logging and step
/// limit, and the search's controller schedule and derive count, described once for any options
/// struct that has these members (core/option_table.hpp).
#ifndef ENAS_TRAIN_LOOP_OPTIONS_HPP
#define ENAS_TRAIN_LOOP_OPTIONS_HPP

#include <tuple>

#include "enas/core/option_table.hpp"

namespace enas::train {

/// The loop's fields of `O` (members num_epochs, eval_every_epochs, log_every, max_steps,
/// controller_training, controller_train_every, derive_samples, nonfinite_patience,
/// nonfinite_restores, nonfinite_lr_factor), for O::fields() to append.
template <class O>
constexpr auto loop_fields() {
  using namespace option;  // field, control, the bounds, kSearchOnly
  return std::make_tuple(
      control("num_epochs", &O::num_epochs, "training epochs", at_least(0)),
      field("eval_every_epochs", &O::eval_every_epochs, "epochs between evaluations", at_least(1)),
      control("log_every", &O::log_every, "log every N steps", at_least(1)),
      control("max_steps", &O::max_steps, "stop after N child steps; 0 = build, print the configuration, exit; -1 = no limit",
              at_least(-1)),
      field("controller_training", &O::controller_training, "train the controller", any(), kSearchOnly),
      field("controller_train_every", &O::controller_train_every, "epochs between controller phases", at_least(1),
            kSearchOnly),
      control("derive_samples", &O::derive_samples, "architectures sampled and scored at the end", at_least(1),
              kSearchOnly),
      control("nonfinite_patience", &O::nonfinite_patience,
              "child steps or controller updates in a row skipped as non-finite before the run restores its last "
              "checkpoint (or stops)",
              at_least(1)),
      control("nonfinite_restores", &O::nonfinite_restores,
              "restores of the last checkpoint after non-finite steps before the run stops; 0 = stop at once",
              at_least(0)),
      control("nonfinite_lr_factor", &O::nonfinite_lr_factor, "factor of the learning rate at each such restore",
              above_up_to(0, 1)));
}

}  // namespace enas::train

#endif  // ENAS_TRAIN_LOOP_OPTIONS_HPP
