/// @file
/// @brief What a model needs to know when it is one replica of a data-parallel step: which rows of
/// the whole batch it holds (BatchShard), how to add and gather over the other replicas
/// (CrossReplicaSum), the whole batch's statistics from every replica's (combine_moments), and the
/// scope an image model's training pass runs in (ReplicaScope), which its random masks and batch
/// norms consult (docs/distributed.md).
///
/// A data-parallel step computes what one process computes on the whole batch only if every
/// random draw is the whole batch's (each replica keeps its rows) and every batch statistic is
/// the whole batch's. Models take part through the helpers here: own_rows for a per-example
/// random tensor, dropout_rows for dropout, and synced_batch_norm (nn/synced_norm.hpp).
#ifndef ENAS_NN_REPLICAS_HPP
#define ENAS_NN_REPLICAS_HPP

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace enas::nn {

/// This process's share of a data-parallel batch: rows [offset, offset + local) of `global`,
/// local being the size of the tensors the replica holds. global == 0: the whole batch.
struct BatchShard {
  std::int64_t offset = 0;
  std::int64_t global = 0;
};

/// Sums and gathers over the replicas of a data-parallel run: `sum` adds a tensor over them in
/// place, `gather` returns every replica's tensor (same shape everywhere) in rank order.
struct CrossReplicaSum {
  std::function<void(at::Tensor&)> sum;
  std::function<std::vector<at::Tensor>(const at::Tensor&)> gather;
  std::int64_t replicas = 1;
};

/// Sums whose gathered parts (the tensor times the replicas) take at most this many bytes go
/// through one all-gather and a sum in rank order instead of an all-reduce. The batch norms'
/// sums are small and many (hundreds a step) and bound by latency: on loopback Gloo gathers
/// 1,024 floats from 2 ranks in about 0.23 ms, where its all-reduce takes 0.76–1.3 ms (several
/// rounds of messages). Every replica adds the same parts in the same order: the same bits.
inline constexpr std::int64_t kGatheredSumBytes = 256 << 10;

/// The sums over the ranks of `group` (a dist::ProcessGroup, or anything with size(),
/// all_reduce_sum({tensor}) and all_gather(tensor)); the group must outlive what uses them.
template <class Group>
std::shared_ptr<CrossReplicaSum> cross_replica_sum(Group& group) {
  auto sum = std::make_shared<CrossReplicaSum>();
  sum->replicas = group.size();
  sum->sum = [g = &group](at::Tensor& t) {
    const auto gathered_bytes = t.numel() * static_cast<std::int64_t>(t.element_size()) * g->size();
    if (gathered_bytes > kGatheredSumBytes) {
      g->all_reduce_sum({t});
      return;
    }
    const auto parts = g->all_gather(t);
    auto total = parts.front().clone();
    for (std::size_t r = 1; r < parts.size(); ++r) total.add_(parts[r]);
    t.copy_(total);
  };
  sum->gather = [g = &group](const at::Tensor& t) { return g->all_gather(t); };
  return sum;
}

/// The whole batch's mean and biased variance from each replica's mean and M2 (sum of squared
/// deviations from its own mean) over its `rows` rows (replicas may hold different counts), in
/// one collective and without a host synchronisation: μ = Σ_r n_r·μ_r / N and
/// M2 = Σ_r M2_r + n_r·(μ_r − μ)² (Chan et al.), the same on every replica. `mean` and `m2` hold
/// this replica's on entry; the batch's mean and variance on exit. Returns N, the whole batch's
/// rows, as a 0-dim tensor of mean's type.
inline at::Tensor combine_moments(const CrossReplicaSum& sync, at::Tensor& mean, at::Tensor& m2, std::int64_t rows) {
  const auto cols = mean.numel();
  const auto local = at::cat({mean.reshape({-1}), m2.reshape({-1}), at::full({1}, static_cast<double>(rows), mean.options())});
  const auto parts = at::stack(sync.gather(local));                 // [R, 2C + 1]
  const auto counts = parts.narrow(1, 2 * cols, 1);                 // [R, 1]
  const auto total = counts.sum();
  const auto means = parts.narrow(1, 0, cols);
  const auto batch_mean = (means * counts).sum(0).div_(total);
  const auto batch_m2 = parts.narrow(1, cols, cols).sum(0).add_(((means - batch_mean).square_() * counts).sum(0));
  mean.copy_(batch_mean.view(mean.sizes()));
  m2.copy_(batch_m2.div_(total).view(m2.sizes()));
  return total;
}

/// Where the current thread's image-model pass stands in a data-parallel step: its rows of the
/// batch, and the sums over the replicas its batch norms use (null: each replica's own rows).
struct ReplicaContext {
  BatchShard shard;
  const CrossReplicaSum* sync = nullptr;
};

namespace detail {
inline ReplicaContext& replica_context() {
  thread_local ReplicaContext context;
  return context;
}
}  // namespace detail

/// The context of the pass running on this thread (the default one outside any ReplicaScope).
inline const ReplicaContext& current_replica() { return detail::replica_context(); }

/// Makes `context` the current one for this thread until the scope ends; a training step puts
/// its forward pass in one, as autocast puts a pass in a precision (the backward needs none: what
/// it needs is saved in the graph).
class ReplicaScope {
 public:
  explicit ReplicaScope(ReplicaContext context) : saved_(detail::replica_context()) { detail::replica_context() = context; }
  ~ReplicaScope() { detail::replica_context() = saved_; }
  ReplicaScope(const ReplicaScope&) = delete;
  ReplicaScope& operator=(const ReplicaScope&) = delete;

 private:
  ReplicaContext saved_;
};

/// A per-example random tensor for `local` rows: `draw(rows)` makes it with `rows` rows first,
/// called for the whole batch of the current scope and cut to this replica's rows, so every
/// replica keeps exactly what one process would draw for those rows.
template <class Draw>
at::Tensor own_rows(std::int64_t local, Draw&& draw) {
  const auto& shard = current_replica().shard;
  if (shard.global <= 0 || shard.global == local) return std::forward<Draw>(draw)(local);
  return std::forward<Draw>(draw)(shard.global).narrow(0, shard.offset, local);
}

/// Dropout of whole entries of `x` (rows first) with keep probability `keep`, as at::dropout in
/// training: the mask from LibTorch's generator, scaled by 1/keep; the mask is the whole batch's,
/// cut to this replica's rows.
inline at::Tensor dropout_rows(const at::Tensor& x, double keep) {
  auto mask = own_rows(x.size(0), [&](std::int64_t rows) {
    auto shape = x.sizes().vec();
    shape[0] = rows;
    return at::empty(shape, x.options()).bernoulli_(keep);
  });
  return x * mask.div_(keep);
}

}  // namespace enas::nn

#endif  // ENAS_NN_REPLICAS_HPP
