/// @file
/// @brief The one training loop of the library: steps until num_epochs (or max_steps), a log line
/// every log_every steps with the count of steps skipped as non-finite (and the recovery from
/// them), and at each evaluation epoch the caller's
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
#include "enas/train/recovery.hpp"
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

namespace detail {
/// What the loop does when steps in a row were skipped as non-finite (docs/reliability.md):
/// restore the last checkpoint with the learning rate lowered, up to nonfinite_restores times,
/// or stop with a DivergenceError that says what to change.
template <class Task, class Options>
void recover_from_nonfinite(Task& task, const Options& o, const std::string& what, const std::string& advice,
                            io::RunLog& log, const RunHooks& hooks) {
  auto& rec = task.recovery();
  if (rec.restores < o.nonfinite_restores && hooks.restore) {
    const auto lowered = train::Recovery{rec.lr_scale * o.nonfinite_lr_factor, rec.restores + 1};
    if (const auto at = hooks.restore()) {  // the run's whole state, its recovery included, is the checkpoint's
      rec = lowered;
      log.warning(fmt::format("{}; restored the checkpoint of step {} with the learning rate ×{:g} (restore {} of {})",
                              what, *at, rec.lr_scale, rec.restores, o.nonfinite_restores));
      log.record({{"event", "nonfinite_restore"}, {"step", *at}, {"lr_scale", rec.lr_scale}, {"restores", rec.restores}});
      return;
    }
    throw DivergenceError(fmt::format("{}, and there is no checkpoint to restore. {}", what, advice));
  }
  if (o.nonfinite_restores == 0) throw DivergenceError(fmt::format("{} (--nonfinite_restores 0). {}", what, advice));
  if (!hooks.restore) throw DivergenceError(fmt::format("{}, and the run keeps no checkpoints to restore. {}", what, advice));
  throw DivergenceError(fmt::format("{}, after {} restores with the learning rate lowered to ×{:g}. {}", what,
                                    rec.restores, rec.lr_scale, advice));
}
}  // namespace detail

/// Runs `work` on `task` from `step` (a resumed run continues where it stopped) until
/// num_epochs or max_steps. Returns kStopped when hooks.should_stop asked to stop after a step.
///
/// A step whose loss or gradient is not finite is skipped by the optimizer on the device; the
/// loop reads the count at every log step and before every evaluation, logs it, and when
/// nonfinite_patience steps in a row were skipped restores the last checkpoint (hooks.restore)
/// with the learning rate ×nonfinite_lr_factor, at most nonfinite_restores times, and otherwise
/// throws DivergenceError. A controller phase that throws DivergenceError is recovered the same way.
template <class Task, class Options, class Work>
RunStatus run_epochs(const std::string& name, Task& task, const Options& o, const std::int64_t& step, Work& work,
                     io::RunLog& log, const RunHooks& hooks) {
  const auto per_epoch = task.batches_per_epoch();
  if (step % per_epoch == 0) task.reset_epoch_stats();
  bool finished = o.num_epochs == 0 || step / per_epoch >= o.num_epochs;
  io::Progress progress(name, target_steps(o, per_epoch), Task::progress_unit, task.units_per_step());
  io::ProgressGuard show(log, progress);
  const std::string child_advice =
      "Lower the child's learning rate (--child_lr on PTB, --child_lr_max on CIFAR-10) or --child_grad_bound, or "
      "raise --nonfinite_patience if the faults are rare";
  // Reads the optimizer's count of skipped steps (one host read); true when the run was restored.
  const auto check_steps = [&] {
    const auto bad = task.optimizer().take_nonfinite();
    if (bad.skipped == 0) return false;
    task.note_skipped(bad.skipped);
    log.warning(fmt::format("{} child step{} up to step {} had a non-finite loss or gradient and {} skipped ({} in a row at most)",
                            bad.skipped, bad.skipped == 1 ? "" : "s", step, bad.skipped == 1 ? "was" : "were", bad.longest));
    log.record({{"event", "nonfinite"}, {"step", step}, {"skipped", bad.skipped}, {"longest", bad.longest}});
    if (bad.longest < o.nonfinite_patience) return false;
    detail::recover_from_nonfinite(
        task, o, fmt::format("{} child steps in a row up to step {} had a non-finite loss or gradient", bad.longest, step),
        child_advice, log, hooks);
    return true;
  };
  while (!finished) {
    const train::StepResult r = work.step();
    if (!r.notice.empty()) log.warning(r.notice);
    progress.tick(step);
    const auto epoch = step / per_epoch;
    const bool eval_now = step % (per_epoch * o.eval_every_epochs) == 0;
    const bool last = epoch >= o.num_epochs || (o.max_steps > 0 && step >= o.max_steps);
    // Where the loop reads anyway: a log line, an evaluation, the end (faults are reported before it).
    if ((step % o.log_every == 0 || eval_now || last) && check_steps()) continue;
    if (step % o.log_every == 0) {
      io::ChildEvent e;
      e.epoch = epoch;
      e.step = step;
      e.loss = r.loss.template item<double>();
      e.lr = r.lr;
      e.grad_norm = r.grad_norm.template item<double>();
      e.arc = work.arc();
      task.fill_log(e, r);
      log.child(e, *Task::log_format);
    }
    if (eval_now) {
      task.reset_states();
      try {
        work.before_eval(epoch);
      } catch (const DivergenceError& e) {  // the controller's updates were not finite
        detail::recover_from_nonfinite(task, o, e.what(),
                                       "Lower --controller_lr, or raise --nonfinite_patience if the faults are rare",
                                       log, hooks);
        continue;
      }
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
