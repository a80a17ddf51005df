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

#include "enas/core/concepts.hpp"
#include "enas/core/error.hpp"
#include "enas/io/checkpoint.hpp"
#include "enas/io/run_log.hpp"
#include "enas/run_hooks.hpp"
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

  train::StepResult train_step() { return task_.train_step(step_++); }

  /// Trains until num_epochs (or max_steps), continuing from step() (a resumed run). Returns
  /// kStopped when hooks.should_stop asked to stop after a step.
  RunStatus run(io::RunLog& log, const RunHooks& hooks = {}) {
    const auto per_epoch = task_.batches_per_epoch();
    if (step_ % per_epoch == 0) task_.reset_epoch_stats();
    bool finished = options_.num_epochs == 0 || step_ / per_epoch >= options_.num_epochs;
    io::Progress progress("train", target_steps(per_epoch), Task::progress_unit, task_.units_per_step());
    io::ProgressGuard show(log, progress);
    while (!finished) {
      const auto r = train_step();
      progress.tick(step_);
      const auto epoch = step_ / per_epoch;
      if (step_ % options_.log_every == 0) {
        io::ChildEvent e;
        e.epoch = epoch;
        e.step = step_;
        e.loss = r.loss.template item<double>();
        e.lr = r.lr;
        e.grad_norm = r.grad_norm.template item<double>();
        task_.fill_log(e, r);
        if (task_.optimizer().diverged() || !std::isfinite(e.loss)) {
          throw DivergenceError(fmt::format(
              "the loss became non-finite by step {} (loss={}, |g|={}); the weights were left at their last finite "
              "values. Lower --child_lr or --child_grad_bound",
              step_, e.loss, e.grad_norm));
        }
        log.child(e);
      }
      if (step_ % (per_epoch * options_.eval_every_epochs) == 0) {
        task_.reset_states();
        log.line(fmt::format("Epoch {}: Eval", epoch));
        task_.epoch_evaluation(log, epoch, step_);
        task_.reset_states();
        task_.reset_epoch_stats();
        if (hooks.on_epoch_end) hooks.on_epoch_end(epoch);
      }
      if (epoch >= options_.num_epochs) {
        task_.final_evaluation(log, epoch, step_);
        finished = true;
      }
      if (options_.max_steps > 0 && step_ >= options_.max_steps) finished = true;
      if (!finished && hooks.should_stop && hooks.should_stop()) return RunStatus::kStopped;
    }
    return RunStatus::kFinished;
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
    if (!a.try_read("task", task)) throw CheckpointError("checkpoint lacks the task state (not a final-training checkpoint?)");
    task_.load(task);
    io::read_generators(a, task_.device());
  }

  Task& task() { return task_; }
  auto& model() { return task_.model(); }
  std::int64_t step() const { return step_; }
  void set_step(std::int64_t step) { step_ = step; }

 private:
  /// Steps the loop will run in all: num_epochs of steps, or max_steps when smaller.
  std::int64_t target_steps(std::int64_t per_epoch) const {
    const auto all = options_.num_epochs * per_epoch;
    return options_.max_steps > 0 ? std::min(all, options_.max_steps) : all;
  }

  Options options_;
  Task task_;
  std::int64_t step_ = 0;
};

}  // namespace enas

#endif  // ENAS_FINAL_TRAINING_HPP
