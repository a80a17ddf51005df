/// @file
/// @brief What a run remembers of its recoveries from non-finite steps: the factor its learning
/// rate was lowered by, and how many times it restored a checkpoint (docs/reliability.md).
#ifndef ENAS_TRAIN_RECOVERY_HPP
#define ENAS_TRAIN_RECOVERY_HPP

#include <cstdint>
#include <set>

#include "enas/core/error.hpp"
#include "enas/io/checkpoint.hpp"

namespace enas::train {

/// The learning-rate factor and restore count of a run; part of its checkpoint, so that a
/// resumed run keeps its lowered rate.
struct Recovery {
  double lr_scale = 1.0;
  std::int64_t restores = 0;

  void save(io::OutputArchive& a) const {
    io::write_double(a, "lr_scale", lr_scale);
    io::write_int(a, "nonfinite_restores", restores);
  }
  void load(io::InputArchive& a) {
    *this = {};
    if (!io::has_key(a, "lr_scale")) return;  // a checkpoint of an earlier version: no recovery yet
    lr_scale = io::read_double(a, "lr_scale");
    restores = io::read_int(a, "nonfinite_restores");
    if (!(lr_scale > 0.0 && lr_scale <= 1.0) || restores < 0) {
      throw CheckpointError("checkpoint entries 'lr_scale' and 'nonfinite_restores' hold " + std::to_string(lr_scale) +
                            " and " + std::to_string(restores) + ", expected a factor in (0, 1] and a count >= 0");
    }
  }
};

/// Steps at which a test makes the loss or gradient non-finite, as a fault would: child steps
/// (numbered as the log numbers them, from 1) and controller updates. Each fires once.
struct FaultPlan {
  std::set<std::int64_t> child_steps;
  std::set<std::int64_t> controller_updates;

  /// Whether `n` is planned; it is taken off the plan.
  static bool take(std::set<std::int64_t>& planned, std::int64_t n) { return planned.erase(n) > 0; }
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_RECOVERY_HPP
