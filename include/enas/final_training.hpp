/// @file
/// @brief enas::FinalTraining<Space>: one architecture of a space trained from scratch with the
/// reference's *_final settings (the second half of every ENAS workflow).
#ifndef ENAS_FINAL_TRAINING_HPP
#define ENAS_FINAL_TRAINING_HPP

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "enas/core/concepts.hpp"
#include "enas/core/error.hpp"
#include "enas/distributed.hpp"
#include "enas/epoch_loop.hpp"
#include "enas/io/checkpoint.hpp"
#include "enas/io/run_log.hpp"
#include "enas/run_hooks.hpp"
#include "enas/train/recovery.hpp"
#include "enas/train/task_for.hpp"

namespace enas {

/// Trains the fixed model of one architecture: child steps, logs every log_every steps, the
/// validation metric every eval_every_epochs, test when validation improves, and test at the end.
///
/// @tparam Space a model of enas::SearchSpace with a bound task (train::TaskFor<Space>)
template <class Space>
class FinalTraining {
  ENAS_ASSERT_SEARCH_SPACE("enas::FinalTraining", Space);

 public:
  using Arch = typename Space::Arch;
  using Task = typename train::TaskFor<Space>::Final;
  ENAS_ASSERT_FINAL_TASK("enas::FinalTraining", Task);
  using Options = typename Task::Options;
  using Data = typename Task::Data;

  FinalTraining(const Arch& arch, const Options& options, const Data& data, const at::Device& device,
                std::uint64_t seed = 0)
      : options_(options), task_(arch, options, data, device, seed) {}

  /// Trains data-parallel over the ranks of `group` from now on (docs/distributed.md); a null
  /// group: one process again.
  void distribute(std::shared_ptr<dist::ProcessGroup> group) {
    distribute_task(task_, group, run_name());
    group_ = group && group->size() > 1 ? std::move(group) : nullptr;
  }
  const std::shared_ptr<dist::ProcessGroup>& process_group() const { return group_; }
  /// "the final training of <space>", as messages name this run.
  static std::string run_name() { return "the final training of " + std::string(Space::name); }

  train::StepResult train_step() {
    if (train::FaultPlan::take(faults_.child_steps, step_ + 1)) task_.optimizer().inject_nonfinite();
    return task_.train_step(step_++);
  }

  /// Makes the gradient of the planned steps non-finite, once each, as a fault would (tests of
  /// the recovery; docs/reliability.md).
  void inject_nonfinite(train::FaultPlan plan) { faults_ = std::move(plan); }

  /// Trains until num_epochs (or max_steps), continuing from step() (a resumed run). Returns
  /// kStopped when hooks.should_stop asked to stop after a step.
  RunStatus run(io::RunLog& log, const RunHooks& hooks = {}) {
    EpochWork work{[this] { return train_step(); }, [] { return std::string(); }, [](std::int64_t) {},
                   [&](std::int64_t epoch) { task_.epoch_evaluation(log, epoch, step_); },
                   [&](std::int64_t epoch) { task_.final_evaluation(log, epoch, step_); }};
    return run_epochs("train", task_, options_, step_, work, log, hooks);
  }

  /// Everything a resumed run needs: the step, model, optimizer, data position, generators.
  void save(io::OutputArchive& a) const {
    io::write_int(a, "step", step_);
    io::OutputArchive task;
    task_.save(task);
    a.write("task", task);
    io::write_generators(a, task_.device());
  }
  void load(io::InputArchive& a) {
    step_ = io::read_int(a, "step");
    io::InputArchive task;
    if (!io::try_read_archive(a, "task", task)) {
      throw CheckpointError("checkpoint lacks the task state (not a final-training checkpoint?)");
    }
    task_.load(task);
    io::read_generators(a, task_.device());
  }

  Task& task() { return task_; }
  auto& model() { return task_.model(); }
  std::int64_t step() const { return step_; }
  void set_step(std::int64_t step) { step_ = step; }

 private:
  Options options_;
  Task task_;
  std::int64_t step_ = 0;
  std::shared_ptr<dist::ProcessGroup> group_;
  train::FaultPlan faults_;
};

}  // namespace enas

#endif  // ENAS_FINAL_TRAINING_HPP
