/// @file
/// @brief What a run (Supernet, FinalTraining) does with a process group: hand it to a task that
/// trains data-parallel, spread scoring work over the ranks, agree on stopping (docs/distributed.md).
#ifndef ENAS_DISTRIBUTED_HPP
#define ENAS_DISTRIBUTED_HPP

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/dist/process_group.hpp"

namespace enas {

namespace detail {
template <class T, class = void>
struct TakesProcessGroup : std::false_type {};
template <class T>
struct TakesProcessGroup<T, std::void_t<decltype(std::declval<T&>().distribute(
                                std::declval<std::shared_ptr<dist::ProcessGroup>>()))>> : std::true_type {};
}  // namespace detail

/// Whether a task trains data-parallel (has `distribute(std::shared_ptr<dist::ProcessGroup>)`).
template <class Task>
inline constexpr bool is_data_parallel_v = detail::TakesProcessGroup<Task>::value;

/// Refuses a launch of `world_size` > 1 processes for a task that cannot use them, naming
/// `what` (the space's run); a program calls it before any work.
template <class Task>
void require_data_parallel(int world_size, const std::string& what) {
  if (world_size > 1 && !is_data_parallel_v<Task>) {
    throw ConfigError(what + " does not run on several processes yet (WORLD_SIZE=" + std::to_string(world_size) +
                      "): run it as one process (docs/distributed.md lists what does)");
  }
}

/// Hands `group` to `task`; a group of more than one rank and a task that cannot use it is
/// refused, naming `what` (the space's run). A null group or one rank: nothing changes.
template <class Task>
void distribute_task(Task& task, const std::shared_ptr<dist::ProcessGroup>& group, const std::string& what) {
  if (!group || group->size() == 1) return;
  require_data_parallel<Task>(group->size(), what);
  if constexpr (is_data_parallel_v<Task>) task.distribute(group);
}

/// `count` scores, each computed by one rank (item k by rank k mod world) and then known to all:
/// `score(k)` runs only where item k belongs. Every rank must call this with the same count.
template <class Score>
std::vector<double> spread_scores(dist::ProcessGroup& group, std::int64_t count, Score&& score) {
  auto local = at::zeros({count}, at::kDouble);
  for (std::int64_t k = group.rank(); k < count; k += group.size()) local[k] = score(k);
  group.all_reduce_sum({local});
  const auto* p = local.data_ptr<double>();
  return {p, p + count};
}

/// Whether any rank asks to stop (each rank's own `stop`), decided together so that every rank
/// stops after the same step.
inline bool any_rank(dist::ProcessGroup& group, bool stop) {
  auto flag = at::full({1}, stop ? 1.0 : 0.0, at::kDouble);
  group.all_reduce_sum({flag});
  return flag.item<double>() > 0.0;
}

/// Steps between two stop votes when GroupOptions::stop_vote_steps is 0: every step on Gloo (a
/// host collective of one number, well under a millisecond against steps of tens of them); every
/// 10 steps on NCCL, where a vote copies its number through the GPU and the host waits for it,
/// the one synchronisation a single-process step does not have.
inline std::int64_t stop_vote_period(const dist::ProcessGroup& group) {
  if (group.options().stop_vote_steps > 0) return group.options().stop_vote_steps;
  return group.backend() == "nccl" ? 10 : 1;
}

/// The ranks' agreement on stopping (SIGINT/SIGTERM on any rank): called once after every step on
/// every rank, it votes (any_rank) on every `period`-th call and answers false in between, so
/// every rank stops after the same step, at most `period` − 1 steps after the request.
class StopVote {
 public:
  StopVote(std::shared_ptr<dist::ProcessGroup> group, std::int64_t period) : group_(std::move(group)), period_(period) {
    if (!group_) throw ConfigError("StopVote: no process group");
    if (period_ < 1) throw ConfigError("StopVote: the period must be at least 1 step, not " + std::to_string(period_));
  }
  explicit StopVote(std::shared_ptr<dist::ProcessGroup> group) : StopVote(group, stop_vote_period(*group)) {}

  /// `stop_here`: whether this rank asks to stop. True when the ranks agreed to stop now.
  bool operator()(bool stop_here) {
    if (++calls_ % period_ != 0) return false;
    return any_rank(*group_, stop_here);
  }

  std::int64_t period() const { return period_; }

 private:
  std::shared_ptr<dist::ProcessGroup> group_;
  std::int64_t period_;
  std::int64_t calls_ = 0;
};

}  // namespace enas

#endif  // ENAS_DISTRIBUTED_HPP
