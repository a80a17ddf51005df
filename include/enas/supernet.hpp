/// @file
/// @brief enas::Supernet<Space, Controller>: the shared model of a search space, its
/// controller, and the ENAS loop that trains both (enas-reference.md §3.7, §7).
#ifndef ENAS_SUPERNET_HPP
#define ENAS_SUPERNET_HPP

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "enas/controllers/lstm.hpp"
#include "enas/core/arc.hpp"
#include "enas/core/concepts.hpp"
#include "enas/core/controller_program.hpp"
#include "enas/core/error.hpp"
#include "enas/core/traits.hpp"
#include "enas/distributed.hpp"
#include "enas/epoch_loop.hpp"
#include "enas/io/checkpoint.hpp"
#include "enas/io/run_log.hpp"
#include "enas/run_hooks.hpp"
#include "enas/train/recovery.hpp"
#include "enas/train/task_for.hpp"

namespace enas {

/// An architecture with its score (higher is better).
template <class Arch>
struct ScoredArch {
  Arch arch;
  double score = 0.0;
};

/// The ENAS search over `Space`: a shared model (every choice's weights; a step computes only the
/// sampled path) trained on architectures that `Controller` samples, and the controller trained
/// by REINFORCE on validation rewards.
///
/// @tparam Space       a model of enas::SearchSpace with a bound task (train::TaskFor<Space>)
/// @tparam Controller  a model of enas::Controller for Space: controllers::Lstm<Space> (ENAS) or
///                     controllers::Random<Space> (random search with weight sharing)
template <class Space, class Controller = controllers::Lstm<Space>>
class Supernet {
  ENAS_ASSERT_SEARCH_SPACE("enas::Supernet", Space);
  ENAS_ASSERT_CONTROLLER("enas::Supernet", Controller, Space);

 public:
  using space_type = Space;
  using Arch = typename Space::Arch;
  using Task = typename train::TaskFor<Space>::Search;
  ENAS_ASSERT_SEARCH_TASK("enas::Supernet", Task);
  using Options = typename Task::Options;
  using Data = typename Task::Data;


  Supernet(const Options& options, const ControllerOptions& controller_options, const Data& data,
           const at::Device& device, std::uint64_t seed = 0)
      : options_(options), task_(options, data, device, seed), controller_(controller_options, seed + 1) {}

  /// Runs over the ranks of `group` from now on (docs/distributed.md): every rank samples the
  /// same architectures (same seeds) and trains its share of each batch; rewards, derive scores
  /// and validation are spread over the ranks and gathered, so every rank applies the same
  /// controller updates and derives the same architecture. A null group: one process again.
  void distribute(std::shared_ptr<dist::ProcessGroup> group) {
    distribute_task(task_, group, run_name());
    group_ = group && group->size() > 1 ? std::move(group) : nullptr;
  }
  const std::shared_ptr<dist::ProcessGroup>& process_group() const { return group_; }
  /// "the search of <space>", as messages name this run.
  static std::string run_name() { return "the search of " + std::string(Space::name); }

  /// One architecture from the controller.
  Arch sample() { return Space::decode(controller_.sample(1).arc(0)); }

  /// One step of the shared weights on a freshly sampled architecture.
  train::StepResult train_step() {
    last_arch_ = sample();
    if (train::FaultPlan::take(faults_.child_steps, step_ + 1)) task_.optimizer().inject_nonfinite();
    auto r = task_.train_step(last_arch_, step_);
    ++step_;
    return r;
  }

  /// One controller phase: controller_train_steps updates of controller_num_aggregate samples,
  /// each rewarded on its own validation minibatch; every log_every-th sample is logged. An update
  /// whose reward, loss or gradient is not finite is skipped and logged; nonfinite_patience of
  /// them in a row throw DivergenceError (the loop then restores the last checkpoint or stops).
  void train_controller(io::RunLog& log) {
    const auto& co = controller_.options();
    std::int64_t sample_index = 0;
    std::int64_t skipped_in_a_row = 0;
    for (int s = 0; s < co.train_steps; ++s) {
      auto batch = controller_.sample(co.num_aggregate, /*with_grad=*/true);
      auto r = rewards_of(batch);
      if (train::FaultPlan::take(faults_.controller_updates, controller_updates_ + 1) && !r.empty()) {
        r[0] = std::numeric_limits<double>::quiet_NaN();
      }
      const auto stats = controller_.update(batch, r);
      ++controller_updates_;
      if (!stats.skipped.empty()) {
        ++skipped_in_a_row;
        log.warning(fmt::format("controller update {} was skipped: {}", controller_updates_, stats.skipped));
        log.record({{"event", "nonfinite_controller"}, {"ctrl_step", controller_updates_}, {"why", stats.skipped}});
        if (skipped_in_a_row >= options_.nonfinite_patience) {
          throw DivergenceError(fmt::format("{} controller updates in a row up to update {} were not finite",
                                            skipped_in_a_row, controller_updates_));
        }
        continue;
      }
      skipped_in_a_row = 0;
      // Every update's means, for the reward and entropy curves (the log lines are sampled).
      auto mean = [](const std::vector<double>& v) { return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); };
      log.record({{"event", "controller_update"}, {"ctrl_step", controller_updates_}, {"reward", mean(stats.reward)},
                  {"task_reward", mean(r)}, {"baseline", stats.baseline.empty() ? 0.0 : stats.baseline.back()},
                  {"entropy", mean(stats.entropy)}});
      for (std::int64_t k = 0; k < batch.size(); ++k, ++sample_index) {
        if (sample_index % options_.log_every != 0) continue;
        io::ControllerEvent e;
        e.step = controller_updates_;
        e.loss = stats.loss[static_cast<std::size_t>(k)];
        e.entropy = stats.entropy[static_cast<std::size_t>(k)];
        e.lr = stats.lr;
        e.grad_norm = stats.grad_norm;
        e.reward_name = Task::reward_name;
        e.reward = stats.reward[static_cast<std::size_t>(k)];
        e.baseline = stats.baseline[static_cast<std::size_t>(k)];
        e.arc = join_tokens(batch.arc(k));
        log.controller(e, *Task::log_format);
      }
    }
  }

  /// `k` sampled architectures, each with its reward on its own validation minibatch (the
  /// reference's "Here are 10 architectures").
  std::vector<ScoredArch<Arch>> sample_and_score(std::int64_t k) {
    std::vector<ScoredArch<Arch>> out;
    if (group_) {  // every rank samples all k and draws all k minibatches; each scores its share
      std::vector<std::int64_t> batch_ids;
      for (std::int64_t i = 0; i < k; ++i) {
        out.push_back({sample(), 0.0});
        batch_ids.push_back(task_.draw_reward_batch());
      }
      const auto scores = spread_scores(*group_, k, [&](std::int64_t i) {
        return task_.score_on(out[static_cast<std::size_t>(i)].arch, batch_ids[static_cast<std::size_t>(i)]);
      });
      for (std::int64_t i = 0; i < k; ++i) out[static_cast<std::size_t>(i)].score = scores[static_cast<std::size_t>(i)];
      return out;
    }
    for (std::int64_t i = 0; i < k; ++i) {
      const Arch arch = sample();
      out.push_back({arch, task_.reward(arch).template item<double>()});
    }
    return out;
  }

  /// Samples `k` architectures, scores all of them on one shared validation minibatch, and
  /// returns them best first (§0 derive). The first is what the *_final programs should train.
  std::vector<ScoredArch<Arch>> derive(std::int64_t k) {
    at::NoGradGuard no_grad;
    const auto batch = controller_.sample(k);
    const auto batch_id = task_.draw_reward_batch();
    std::vector<ScoredArch<Arch>> out;
    for (std::int64_t i = 0; i < batch.size(); ++i) out.push_back({Space::decode(batch.arc(i)), 0.0});
    auto score = [&](std::int64_t i) { return task_.score_on(out[static_cast<std::size_t>(i)].arch, batch_id); };
    if (group_) {
      const auto scores = spread_scores(*group_, batch.size(), score);
      for (std::size_t i = 0; i < out.size(); ++i) out[i].score = scores[i];
    } else {
      for (std::int64_t i = 0; i < batch.size(); ++i) out[static_cast<std::size_t>(i)].score = score(i);
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    return out;
  }

  /// Records the controller's policy entropy (when it can tell it) in metrics.jsonl and warns, in
  /// plain words, when it has fallen below controller_collapse_entropy of the uniform policy's.
  void check_collapse(io::RunLog& log, std::int64_t epoch) {
    if constexpr (has_policy_entropy_v<Controller>) {
      const double h = controller_.policy_entropy();
      const double uniform = uniform_entropy<Space::num_tokens>(Space::program);
      log.record({{"event", "policy"}, {"epoch", epoch}, {"step", step_}, {"entropy", h}, {"uniform_entropy", uniform}});
      const double threshold = controller_.options().collapse_entropy;
      if (threshold > 0 && h < threshold * uniform) {
        log.warning(fmt::format(
            "the controller has collapsed: the entropy of its policy is {:.2f} nats, {:.1f}% of the uniform "
            "policy's {:.2f}, so it samples nearly always the same architecture and the search now trains only "
            "that one. If this is early in the search, raise --controller_entropy_weight or "
            "--controller_temperature, or lower --controller_lr",
            h, 100.0 * h / uniform, uniform));
      }
    }
  }

  /// Warns, in plain words, when `arch` (a derived architecture) is degenerate for its space
  /// (Space::degenerate_reason: every PTB node the identity, every micro op a skip, every macro
  /// layer a pooling).
  static void warn_if_degenerate(io::RunLog& log, const Arch& arch) {
    if constexpr (has_degenerate_reason_v<Space>) {
      const std::string why = Space::degenerate_reason(arch);
      if (!why.empty()) {
        log.warning("the derived architecture is degenerate: " + why +
                    ". The controller or the shared weights favoured the cheapest choices; look at the "
                    "controller's reward and entropy curves (plots/) before retraining it");
      }
    }
  }

  /// Validation metric over the full split, a fresh sample per minibatch (§3.7, §7).
  double evaluate_valid() {
    return task_.evaluate_valid([this] { return sample(); });
  }

  /// The ENAS loop until num_epochs (or max_steps): shared-weight steps; at each evaluation
  /// epoch a controller phase, ten sampled architectures, and the validation metric. Continues from
  /// step() (a resumed run). Returns kStopped when hooks.should_stop asked to stop after a step.
  RunStatus search(io::RunLog& log, const RunHooks& hooks = {}) {
    const auto sampler = [this] { return sample(); };
    EpochWork work{[this] { return train_step(); }, [this] { return Space::format(last_arch_); },
                   [&](std::int64_t epoch) {
                     if (!Controller::is_trainable || !options_.controller_training || epoch % options_.controller_train_every != 0) return;
                     log.line(fmt::format("Epoch {}: Training controller", epoch));
                     train_controller(log);
                     log.line("Here are 10 architectures");
                     for (const auto& s : sample_and_score(10)) log.arch(Space::format(s.arch), Task::sample_score_name, s.score, "sample");
                     check_collapse(log, epoch);
                   },
                   [&](std::int64_t epoch) { task_.epoch_evaluation(log, epoch, step_, sampler); },
                   [&](std::int64_t epoch) { task_.final_evaluation(log, epoch, step_, sampler); }};
    return run_epochs("search", task_, options_, step_, work, log, hooks);
  }

  /// Everything a resumed run needs (docs/checkpoints.md): counters, shared model, child
  /// optimizer, data position, controller, and the generators of LibTorch.
  void save(io::OutputArchive& a) const {
    io::write_int(a, "step", step_);
    io::write_int(a, "controller_updates", controller_updates_);
    io::OutputArchive task, controller;
    task_.save(task);
    controller_.save(controller);
    a.write("task", task);
    a.write("controller", controller);
    io::write_generators(a, task_.device());
  }
  void load(io::InputArchive& a) {
    step_ = io::read_int(a, "step");
    controller_updates_ = io::read_int(a, "controller_updates");
    io::InputArchive task, controller;
    if (!io::try_read_archive(a, "task", task) || !io::try_read_archive(a, "controller", controller)) {
      throw CheckpointError("checkpoint lacks the task or controller state (not a search checkpoint?)");
    }
    task_.load(task);
    controller_.load(controller);
    io::read_generators(a, task_.device());
  }

  Task& task() { return task_; }
  Controller& controller() { return controller_; }
  auto& model() { return task_.model(); }
  std::int64_t step() const { return step_; }
  void set_step(std::int64_t step) { step_ = step; }
  std::int64_t controller_updates() const { return controller_updates_; }
  /// Makes the loss or gradient of the planned child steps and controller updates non-finite,
  /// once each, as a fault would (tests of the recovery; docs/reliability.md).
  void inject_nonfinite(train::FaultPlan plan) { faults_ = std::move(plan); }
  void set_controller_updates(std::int64_t n) { controller_updates_ = n; }
  const Options& options() const { return options_; }

 private:
  /// The rewards of a controller batch, one synchronisation per update; over a process group
  /// each rank scores its share (every rank draws every sample's minibatch, to stay in step).
  template <class Batch>
  std::vector<double> rewards_of(const Batch& batch) {
    if (group_) {
      std::vector<std::int64_t> batch_ids;
      for (std::int64_t k = 0; k < batch.size(); ++k) batch_ids.push_back(task_.draw_reward_batch());
      return spread_scores(*group_, batch.size(), [&](std::int64_t k) {
        return task_.score_on(Space::decode(batch.arc(k)), batch_ids[static_cast<std::size_t>(k)]);
      });
    }
    std::vector<at::Tensor> rewards;
    for (std::int64_t k = 0; k < batch.size(); ++k) rewards.push_back(task_.reward(Space::decode(batch.arc(k))));
    const auto host = at::stack(rewards).to(at::kDouble).cpu().contiguous();
    return {host.template data_ptr<double>(), host.template data_ptr<double>() + host.numel()};
  }

  Options options_;
  Task task_;
  Controller controller_;
  std::shared_ptr<dist::ProcessGroup> group_;
  Arch last_arch_{};
  std::int64_t step_ = 0;
  std::int64_t controller_updates_ = 0;
  train::FaultPlan faults_;
};

}  // namespace enas

#endif  // ENAS_SUPERNET_HPP
