/// @file
/// @brief The child learning-rate schedules of the reference (utils.get_train_ops).
#ifndef ENAS_OPTIM_LR_SCHEDULE_HPP
#define ENAS_OPTIM_LR_SCHEDULE_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "enas/core/error.hpp"

namespace enas::optim {

/// PTB: lr = max(lr0 · rate^floor(max(step − start, 0) / every), lr_min), with start and every
/// given in epochs and converted to steps (tf.train.exponential_decay, staircase).
struct StaircaseDecay {
  double lr0 = 1.0;
  double rate = 1.0;
  double lr_min = 0.0;
  std::int64_t start_step = 0;
  std::int64_t every_steps = 1;

  static StaircaseDecay from_epochs(double lr0, double rate, double lr_min, std::int64_t start_epochs,
                                    std::int64_t every_epochs, std::int64_t batches_per_epoch) {
    if (every_epochs < 1 || batches_per_epoch < 1) throw ConfigError("child_lr_dec_every must be >= 1");
    return {lr0, rate, lr_min, start_epochs * batches_per_epoch, every_epochs * batches_per_epoch};
  }

  double at(std::int64_t step) const {
    const auto k = std::max<std::int64_t>(step - start_step, 0) / every_steps;
    return std::max(lr0 * std::pow(rate, static_cast<double>(k)), lr_min);
  }
};

/// CIFAR: cosine annealing with warm restarts, evaluated per epoch (§7): cycles of T0, T0·Tmul,
/// T0·Tmul², … epochs; lr = lr_min + ½(lr_max − lr_min)(1 + cos(π·T_cur/T_i)).
struct CosineRestarts {
  double lr_max = 0.05;
  double lr_min = 0.0005;
  std::int64_t t0 = 10;
  std::int64_t t_mul = 2;

  double at_epoch(std::int64_t epoch) const {
    if (t0 < 1 || t_mul < 1) throw ConfigError("child_lr_T_0 and child_lr_T_mul must be >= 1");
    std::int64_t start = 0;
    std::int64_t length = t0;
    while (epoch >= start + length) {
      start += length;
      length *= t_mul;
    }
    const double pi = 3.14159265358979323846;
    return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + std::cos(pi * static_cast<double>(epoch - start) / static_cast<double>(length)));
  }
};

}  // namespace enas::optim

#endif  // ENAS_OPTIM_LR_SCHEDULE_HPP
