/// @file
/// @brief Gradients summed over the ranks while the backward pass still runs, as PyTorch's
/// DistributedDataParallel does: a hook on each parameter's gradient accumulator marks it
/// ready, and a bucket of gradients starts its all-reduce as soon as all of its members are
/// ready, so the collectives of the late layers overlap the backward pass of the early ones.
///
/// A search step trains a sampled architecture, so which parameters get a gradient changes from
/// step to step. prepare() finds them in the step's autograd graph before the backward pass;
/// every rank runs the same graph, so every rank lays out the same buckets, and the buckets
/// start in one fixed order on every rank (bucket k waits for bucket k − 1), as c10d requires.
/// The result is dist::sum_gradients's: the sums, in place, and no gradient for a parameter the
/// graph does not reach.
#ifndef ENAS_DIST_GRADIENT_REDUCER_HPP
#define ENAS_DIST_GRADIENT_REDUCER_HPP

#include <ATen/ATen.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <cstdint>
#include <memory>
#include <unordered_set>
#include <utility>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/dist/process_group.hpp"

namespace enas::dist {

/// Sums a fixed list of parameters' gradients over the ranks, overlapped with the backward pass.
/// Per step: prepare(loss), loss.backward(), finish(extra). One step at a time, on the thread
/// that runs the backward pass (the CPU autograd engine runs it on the caller's).
class GradientReducer {
 public:
  /// `bucket_bytes` caps each bucket but the first, which is capped at `first_bucket_bytes` so
  /// that the first all-reduce starts early (DistributedDataParallel: 25 MiB and 1 MiB).
  GradientReducer(std::shared_ptr<ProcessGroup> group, std::vector<at::Tensor> params, std::int64_t bucket_bytes,
                  std::int64_t first_bucket_bytes = 1LL << 20)
      : group_(std::move(group)), state_(std::make_shared<State>()) {
    if (!group_) throw ConfigError("GradientReducer: needs a process group");
    state_->group = group_.get();
    state_->params = std::move(params);
    state_->bucket_bytes = bucket_bytes;
    state_->first_bucket_bytes = first_bucket_bytes;
    const auto n = state_->params.size();
    state_->bucket_of.assign(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& p = state_->params[i];
      if (!p.requires_grad()) {
        accumulators_.emplace_back();
        continue;
      }
      // The accumulator lives as long as some graph or this reducer holds it; holding it keeps
      // the hook on the one every step's graph reaches.
      auto acc = torch::autograd::impl::grad_accumulator(p);
      acc->add_post_hook(std::make_unique<ReadyHook>(state_, i));
      accumulators_.push_back(std::move(acc));
    }
  }

  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;
  ~GradientReducer() { state_->armed = false; }

  /// Lays out this step's buckets from the parameters `loss`'s graph reaches, in reverse order of
  /// the list (gradients become ready roughly from the last layer back), and arms the hooks.
  void prepare(const at::Tensor& loss) {
    auto& s = *state_;
    std::unordered_set<const torch::autograd::Node*> reached;
    std::vector<torch::autograd::Node*> stack;
    if (const auto root = loss.grad_fn()) stack.push_back(root.get());
    while (!stack.empty()) {
      auto* node = stack.back();
      stack.pop_back();
      if (!reached.insert(node).second) continue;
      for (const auto& edge : node->next_edges()) {
        if (edge.function && !reached.count(edge.function.get())) stack.push_back(edge.function.get());
      }
    }
    s.buckets.clear();
    std::fill(s.bucket_of.begin(), s.bucket_of.end(), -1);
    std::int64_t bytes = 0;
    for (std::size_t k = s.params.size(); k-- > 0;) {
      if (!accumulators_[k] || !reached.count(accumulators_[k].get())) continue;
      const auto& p = s.params[k];
      const auto size = p.numel() * static_cast<std::int64_t>(p.element_size());
      const auto cap = s.buckets.size() == 1 ? s.first_bucket_bytes : s.bucket_bytes;
      const bool fits = !s.buckets.empty() && bytes + size <= cap &&
                        s.params[s.buckets.back().members.front()].scalar_type() == p.scalar_type() &&
                        s.params[s.buckets.back().members.front()].device() == p.device();
      if (!fits) {
        s.buckets.emplace_back();
        bytes = 0;
      }
      s.buckets.back().members.push_back(k);
      s.bucket_of[k] = static_cast<std::int64_t>(s.buckets.size()) - 1;
      bytes += size;
    }
    for (auto& b : s.buckets) b.waiting = static_cast<std::int64_t>(b.members.size());
    s.next = 0;
    s.started_in_backward = 0;
    s.armed = true;
  }

  /// After the backward pass: starts the buckets still waiting (and one for `extra`, tensors
  /// summed with the gradients: a step's loss, say), waits for all, writes the sums back.
  void finish(const std::vector<at::Tensor>& extra = {}) {
    auto& s = *state_;
    if (!s.armed) throw Error("GradientReducer: finish() without prepare()");
    s.armed = false;
    while (s.next < s.buckets.size()) s.start(s.next++);
    std::vector<ProcessGroup::PendingSum> extras;
    for (const auto& e : extra) extras.push_back(group_->start_sum(e.is_contiguous() ? e : e.contiguous()));
    for (auto& b : s.buckets) {
      group_->finish_sum(b.pending);
      std::int64_t at = 0;
      for (auto k : b.members) {
        const auto& p = s.params[k];
        auto grad = p.grad();
        if (grad.defined()) grad.copy_(b.pending.target.narrow(0, at, p.numel()).view(grad.sizes()));
        at += p.numel();
      }
      b.pending = {};
    }
    for (std::size_t i = 0; i < extra.size(); ++i) {
      group_->finish_sum(extras[i]);
      if (!extras[i].target.is_same(extra[i])) extra[i].copy_(extras[i].target);
    }
  }

  /// Buckets of the last step, and how many of them started before the backward pass ended.
  std::size_t buckets() const { return state_->buckets.size(); }
  std::size_t started_in_backward() const { return state_->started_in_backward; }

 private:
  struct Bucket {
    std::vector<std::size_t> members;  // parameter indices
    std::int64_t waiting = 0;          // members whose gradient is not ready yet
    ProcessGroup::PendingSum pending;
  };

  struct State {
    ProcessGroup* group = nullptr;
    std::vector<at::Tensor> params;
    std::int64_t bucket_bytes = 0, first_bucket_bytes = 0;
    std::vector<std::int64_t> bucket_of;  // parameter -> bucket of this step, −1: none
    std::vector<Bucket> buckets;
    std::size_t next = 0;  // the next bucket to start: buckets start in order on every rank
    std::size_t started_in_backward = 0;
    bool armed = false;

    void ready(std::size_t k) {
      if (!armed || bucket_of[k] < 0) return;
      --buckets[static_cast<std::size_t>(bucket_of[k])].waiting;
      while (next < buckets.size() && buckets[next].waiting == 0) {
        start(next++);
        ++started_in_backward;
      }
    }

    /// Flattens the bucket's gradients (zeros for a member the pass left without one: every
    /// rank sends the same layout) and starts their sum.
    void start(std::size_t b) {
      std::vector<at::Tensor> flat;
      for (auto k : buckets[b].members) {
        const auto& p = params[k];
        const auto grad = p.grad();
        flat.push_back(grad.defined() ? grad.reshape({-1}) : at::zeros({p.numel()}, p.options()));
      }
      buckets[b].pending = group->start_sum(at::cat(flat));
    }
  };

  /// Runs after AccumulateGrad has written parameter k's gradient for this pass.
  struct ReadyHook : torch::autograd::FunctionPostHook {
    ReadyHook(std::shared_ptr<State> state, std::size_t k) : state(std::move(state)), k(k) {}
    torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                              const torch::autograd::variable_list& /*inputs*/) override {
      state->ready(k);
      return outputs;
    }
    std::shared_ptr<State> state;
    std::size_t k;
  };

  std::shared_ptr<ProcessGroup> group_;
  std::shared_ptr<State> state_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
};

}  // namespace enas::dist

#endif  // ENAS_DIST_GRADIENT_REDUCER_HPP
