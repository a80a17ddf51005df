/// @file
/// @brief The one training loop of the library: steps until num_epochs (or max_steps), a log line
/// every log_every steps with the divergence check, and at each evaluation epoch the caller's
/// phase, "Epoch k: Eval" and its evaluation, then the epoch-end hook. Supernet (the search) and
/// FinalTraining (one architecture) are this loop with different steps and epoch work
/// (enas-reference.md §3.7, §7).
#ifndef ENAS_EPOCH_LOOP_HPP
#define ENAS_EPOCH_LOOP_HPP

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "enas/core/error.hpp"
#include "enas/io/progress.hpp"
#include "enas/io/run_log.hpp"
#include "enas/run_hooks.hpp"
#include "enas/train/step_result.hpp"

namespace enas {

/// Steps a loop over `num_epochs` epochs runs in all, or max_steps when that is smaller.
template <class Options>
std::int64_t target_steps(const Options& o, std::int64_t per_epoch) {
  const auto all = o.num_epochs * per_epoch;
  return o.max_steps > 0 ? std::min(all, o.max_steps) : all;
}

/// What one run of the loop does besides stepping.
///   step()            one training step; advances `step` and returns its train::StepResult
///   arc()             the architecture of the last step for the log ("" when there is none)
///   before_eval(e)    work at an evaluation epoch before "Eval" (the search's controller phase)
///   evaluate(e)       the epoch's evaluation
///   finish(e)         the evaluation after the last epoch
template <class Step, class Arc, class BeforeEval, class Evaluate, class Finish>
struct EpochWork {
  Step step;
  Arc arc;
  BeforeEval before_eval;
  Evaluate evaluate;
  Finish finish;
};
template <class Step, class Arc, class BeforeEval, class Evaluate, class Finish>
EpochWork(Step, Arc, BeforeEval, Evaluate, Finish) -> EpochWork<Step, Arc, BeforeEval, Evaluate, Finish>;

/// Runs `work` on `task` from `step` (a resumed run continues where it stopped) until
/// num_epochs or max_steps. Returns kStopped when hooks.should_stop asked to stop after a step.
/// Throws DivergenceError at the first logged step whose loss or gradient was not finite.
template <class Task, class Options, class Work>
RunStatus run_epochs(const std::string& name, Task& task, const Options& o, const std::int64_t& step, Work& work,
                     io::RunLog& log, const RunHooks& hooks) {
  const auto per_epoch = task.batches_per_epoch();
  if (step % per_epoch == 0) task.reset_epoch_stats();
  bool finished = o.num_epochs == 0 || step / per_epoch >= o.num_epochs;
  io::Progress progress(name, target_steps(o, per_epoch), Task::progress_unit, task.units_per_step());
  io::ProgressGuard show(log, progress);
  while (!finished) {
    const train::StepResult r = work.step();
    if (!r.notice.empty()) log.warning(r.notice);
    progress.tick(step);
    const auto epoch = step / per_epoch;
    if (step % o.log_every == 0) {
      io::ChildEvent e;
      e.epoch = epoch;
      e.step = step;
      e.loss = r.loss.template item<double>();
      e.lr = r.lr;
      e.grad_norm = r.grad_norm.template item<double>();
      e.arc = work.arc();
      task.fill_log(e, r);
      if (task.optimizer().diverged() || !std::isfinite(e.loss)) {
        throw DivergenceError(fmt::format(
            "the child loss became non-finite by step {} (loss={}, |g|={}); the weights were left at their last "
            "finite values. Lower --child_lr or --child_grad_bound",
            step, e.loss, e.grad_norm));
      }
      log.child(e, *Task::log_format);
    }
    if (step % (per_epoch * o.eval_every_epochs) == 0) {
      task.reset_states();
      work.before_eval(epoch);
      task.reset_states();
      log.line(fmt::format("Epoch {}: Eval", epoch));
      work.evaluate(epoch);
      task.reset_states();
      task.reset_epoch_stats();
      if (hooks.on_epoch_end) hooks.on_epoch_end(epoch);
    }
    if (epoch >= o.num_epochs) {
      work.finish(epoch);
      finished = true;
    }
    if (o.max_steps > 0 && step >= o.max_steps) finished = true;
    if (!finished && hooks.should_stop && hooks.should_stop()) return RunStatus::kStopped;
  }
  return RunStatus::kFinished;
}

}  // namespace enas

#endif  // ENAS_EPOCH_LOOP_HPP
