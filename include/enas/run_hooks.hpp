/// @file
/// @brief What a training loop (Supernet::search, FinalTraining::run) lets its caller do between
/// steps: act at the end of every epoch, stop at a safe point, and go back to the last checkpoint.
#ifndef ENAS_RUN_HOOKS_HPP
#define ENAS_RUN_HOOKS_HPP

#include <cstdint>
#include <functional>
#include <optional>

namespace enas {

/// How a training loop ended.
enum class RunStatus {
  kFinished,  ///< num_epochs or max_steps reached
  kStopped,   ///< should_stop() asked for a stop after a step (state is consistent: checkpoint it)
};

/// Optional callbacks of a training loop.
struct RunHooks {
  std::function<void(std::int64_t epoch)> on_epoch_end;  ///< after the epoch's evaluation
  std::function<bool()> should_stop;                     ///< checked after every step
  /// Restores the run's last checkpoint (after non-finite steps); the step it restored, or none.
  std::function<std::optional<std::int64_t>()> restore;
};

}  // namespace enas

#endif  // ENAS_RUN_HOOKS_HPP
