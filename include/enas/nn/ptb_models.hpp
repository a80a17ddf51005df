/// @file
/// @brief The PTB language models: the shared (search) model holding weights for every choice
/// of the space, and the fixed model of one architecture (§3.1-§3.3).
#ifndef ENAS_NN_PTB_MODELS_HPP
#define ENAS_NN_PTB_MODELS_HPP

#include <ATen/ATen.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "enas/core/concepts.hpp"
#include "enas/core/error.hpp"
#include "enas/nn/activation_kernels.hpp"
#include "enas/nn/cell_window.hpp"
#include "enas/nn/replicas.hpp"
#include "enas/nn/tied_softmax.hpp"

namespace enas::nn {

/// Sizes and dropout of a PTB model, with the reference's flag names in the comments.
struct PtbModelOptions {
  std::int64_t vocab = 10000;  ///< vocabulary size (10,000 for PTB)
  std::int64_t hidden = 720;   ///< child_lstm_hidden_size; also the embedding size (tied)
  double e_keep = 0.75;        ///< child_lstm_e_keep: word (embedding) dropout keep
  double x_keep = 0.25;        ///< child_lstm_x_keep: input mask keep
  double h_keep = 0.75;        ///< child_lstm_h_keep: recurrent / between-node mask keep
  double o_keep = 0.25;        ///< child_lstm_o_keep: output mask keep

  /// The reference's uniform init range: 0.1 up to H = 300, 0.05 up to 400, else 0.04.
  double init_range() const { return hidden <= 300 ? 0.1 : (hidden <= 400 ? 0.05 : 0.04); }

  void validate() const {
    if (vocab < 2 || hidden < 1) throw ConfigError("PTB model: vocab must be >= 2 and hidden >= 1");
    for (double keep : {e_keep, x_keep, h_keep, o_keep}) {
      if (!(keep > 0.0 && keep <= 1.0)) {
        throw ConfigError("PTB model: every child_lstm_*_keep must lie in (0, 1], got " + std::to_string(keep));
      }
    }
  }
};

/// One window's result. `loss` is the training objective Σ_{t,b} CE / B (the reference's loss);
/// `ce_sum` is Σ CE, detached, for perplexities; `state` is s_T, detached, to carry on.
struct WindowResult {
  at::Tensor loss;
  at::Tensor ce_sum;
  at::Tensor state;
  at::Tensor slowness;  ///< Σ_t (o_t − o_{t−1})² / B over the masked outputs (fixed model only)
};

namespace detail {

/// Variational dropout masks for one window (§3.3): floor(U + keep)/keep.
inline at::Tensor keep_mask(std::vector<std::int64_t> shape, double keep, const at::TensorOptions& opts) {
  return at::empty(shape, opts).bernoulli_(keep).div_(keep);
}

/// A mask of the whole batch's shape with the batch at `dim`, cut to this shard's rows.
inline at::Tensor shard_mask(std::vector<std::int64_t> shape, std::int64_t dim, double keep, const at::TensorOptions& opts,
                             const BatchShard& shard) {
  const auto local = shape[static_cast<std::size_t>(dim)];
  if (shard.global <= 0 || shard.global == local) return keep_mask(std::move(shape), keep, opts);
  shape[static_cast<std::size_t>(dim)] = shard.global;
  return keep_mask(std::move(shape), keep, opts).narrow(dim, shard.offset, local);
}

/// The word-dropout mask [T, B] with the reference's extra rule: a word id dropped earlier in
/// the same row of the window is dropped at its later occurrences too.
inline at::Tensor word_dropout_mask(const at::Tensor& x, double keep, const at::TensorOptions& opts,
                                    const BatchShard& shard = {}) {
  const auto steps = x.size(0);
  auto mask = shard_mask({steps, x.size(1)}, 1, keep, opts, shard);
  if (keep >= 1.0) return mask;
  const auto dropped = mask.eq(0);                                                  // [T, B]
  const auto same = x.unsqueeze(1).eq(x.unsqueeze(0));                              // [t, s, B]
  const auto earlier = at::ones({steps, steps}, x.options().dtype(at::kBool)).tril(-1).unsqueeze(2);  // s < t
  const auto drop_again = (same.logical_and(earlier).logical_and(dropped.unsqueeze(0))).any(1);
  return mask.masked_fill(drop_again, 0.0);
}

/// Embedding, masks, cell window, tied softmax and loss, shared by both models.
inline WindowResult lm_window(const at::Tensor& embedding, const at::Tensor& w_first, const at::Tensor& x,
                              const at::Tensor& y, const at::Tensor& state, const std::vector<at::Tensor>& w_node,
                              const PtbModelOptions& o, CellWindowConfig cfg, bool training, bool with_slowness,
                              const BatchShard& shard = {}) {
  const auto steps = x.size(0);
  const auto batch = x.size(1);
  // The loss's divisor: the whole batch when this process trains a share of it.
  const double divisor = static_cast<double>(training && shard.global > 0 ? shard.global : batch);
  const auto hidden = o.hidden;
  if (state.dim() != 2 || state.size(0) != batch || state.size(1) != hidden) {
    throw ConfigError("PTB model: state must be [batch, hidden] = [" + std::to_string(batch) + ", " +
                      std::to_string(hidden) + "]");
  }
  const auto opts = embedding.options();
  auto inputs = at::embedding(embedding, x);  // [T, B, H]
  at::Tensor m_o;
  if (training) {
    const auto e_mask = word_dropout_mask(x, o.e_keep, opts, shard);
    const auto m_x = shard_mask({batch, hidden}, 0, o.x_keep, opts, shard);
    inputs = inputs * (e_mask.unsqueeze(2) * m_x.unsqueeze(0));
    if (o.h_keep < 1.0) cfg.mask_h = shard_mask({batch, hidden}, 0, o.h_keep, opts, shard);
    if (o.o_keep < 1.0) m_o = shard_mask({batch, hidden}, 0, o.o_keep, opts, shard);
  }
  cfg.training = training;
  // Node 0's input half for the whole window in one GEMM: [T·B, H] x [H, 2H].
  const auto x_proj = at::mm(inputs.view({steps * batch, hidden}), w_first.narrow(0, 0, hidden))
                          .view({steps, batch, 2 * hidden});
  auto out = cell_window(x_proj, state, w_first.narrow(0, hidden, hidden), w_node, cfg);
  WindowResult r;
  r.state = out[steps - 1].detach();
  if (m_o.defined()) out = out * m_o;
  const auto ce = tied_softmax_ce_sum(out.view({steps * batch, hidden}), embedding, y.reshape({-1}));
  r.loss = ce / divisor;
  r.ce_sum = ce.detach();
  if (with_slowness && steps > 1) {
    r.slowness = (out.narrow(0, 1, steps - 1) - out.narrow(0, 0, steps - 1)).pow(2).sum() / divisor;
  }
  return r;
}

}  // namespace detail

/// The shared weights of the PTB search (§3.1): one 2H×2H block of W_prev per activation and one
/// H×2H matrix per (node i, predecessor j, activation f), each a separate parameter so that a
/// step touches, and gives gradients to, exactly the weights of the sampled cell. Batch norm on
/// every node and on the output, as in the reference's search model.
///
/// @tparam Space a PtbCell space (enas::spaces::PtbCell<N, Activations...>)
template <class Space>
class PtbSharedModelImpl : public torch::nn::Cloneable<PtbSharedModelImpl<Space>> {
  ENAS_ASSERT_SEARCH_SPACE("enas::nn::PtbSharedModel", Space);

 public:
  using Arch = typename Space::Arch;
  static constexpr int kNodes = Space::num_nodes;
  static constexpr int kActs = Space::num_activations;

  explicit PtbSharedModelImpl(PtbModelOptions options = {}) : options_(options) {
    options_.validate();
    reset();
  }

  void reset() override {
    const auto h = options_.hidden;
    const double r = options_.init_range();
    auto uniform = [r](std::vector<std::int64_t> shape) { return at::empty(shape).uniform_(-r, r); };
    embedding = this->register_parameter("embedding", uniform({options_.vocab, h}));
    w_prev.clear();
    w_skip.clear();
    for (int f = 0; f < kActs; ++f) w_prev.push_back(this->register_parameter("w_prev_" + std::to_string(f), uniform({2 * h, 2 * h})));
    for (int i = 1; i < kNodes; ++i) {
      for (int j = 0; j < i; ++j) {
        for (int f = 0; f < kActs; ++f) {
          w_skip.push_back(this->register_parameter(
              "w_skip_" + std::to_string(i) + "_" + std::to_string(j) + "_" + std::to_string(f), uniform({h, 2 * h})));
        }
      }
    }
    norm.scale.clear();
    norm.offset.clear();
    norm.running_mean.clear();
    norm.running_var.clear();
    for (int i = 0; i <= kNodes; ++i) {
      const auto width = i < kNodes ? 2 * h : h;
      const auto id = std::to_string(i);
      norm.scale.push_back(this->register_parameter("bn_scale_" + id, at::ones({width})));
      norm.offset.push_back(this->register_parameter("bn_offset_" + id, at::zeros({width})));
      norm.running_mean.push_back(this->register_buffer("bn_mean_" + id, at::zeros({width})));
      norm.running_var.push_back(this->register_buffer("bn_var_" + id, at::ones({width})));
    }
  }

  /// The matrix of node i (1..N−1) reading node j (< i) with activation f.
  const at::Tensor& w_skip_at(int i, int j, int f) const {
    return w_skip[static_cast<std::size_t>((i * (i - 1) / 2 + j) * kActs + f)];
  }

  /// One window of the sampled cell. Training mode (train()) switches dropout and batch
  /// statistics on; evaluation mode (eval()) switches them off.
  WindowResult forward(const at::Tensor& x, const at::Tensor& y, const at::Tensor& state, const Arch& arch) {
    CellPlan plan = plan_of(arch);
    std::vector<at::Tensor> w_node;
    for (int i = 1; i < kNodes; ++i) {
      w_node.push_back(w_skip_at(i, arch.predecessor[static_cast<std::size_t>(i)], arch.activation[static_cast<std::size_t>(i)]));
    }
    CellWindowConfig cfg;
    cfg.plan = &plan;
    cfg.kernels = activation_kernels<typename Space::activations>().data();
    cfg.num_kernels = kActs;
    cfg.norm = &norm;
    return detail::lm_window(embedding, w_prev[static_cast<std::size_t>(arch.activation[0])], x, y, state, w_node,
                             options_, cfg, this->is_training(), false, shard_);
  }

  /// Trains on a share of the batch from now on (BatchShard); `replicas` sums the batch-norm
  /// statistics over the processes (synchronised batch norm). Both default: the whole batch here.
  void shard_batch(BatchShard shard, std::shared_ptr<const CrossReplicaSum> replicas) {
    shard_ = shard;
    norm.cross_replica = std::move(replicas);
  }

  /// The parameters a step on `arch` uses (and gives gradients to).
  std::vector<at::Tensor> parameters_of(const Arch& arch) const {
    std::vector<at::Tensor> ps{embedding, w_prev[static_cast<std::size_t>(arch.activation[0])]};
    for (int i = 1; i < kNodes; ++i) {
      ps.push_back(w_skip_at(i, arch.predecessor[static_cast<std::size_t>(i)], arch.activation[static_cast<std::size_t>(i)]));
    }
    ps.insert(ps.end(), norm.scale.begin(), norm.scale.end());
    ps.insert(ps.end(), norm.offset.begin(), norm.offset.end());
    return ps;
  }

  const PtbModelOptions& options() const { return options_; }
  const BatchShard& batch_shard() const { return shard_; }

  at::Tensor embedding;
  std::vector<at::Tensor> w_prev;
  std::vector<at::Tensor> w_skip;
  CellNorm norm;

 private:
  static CellPlan plan_of(const Arch& arch) {
    CellPlan plan;
    for (int i = 0; i < kNodes; ++i) {
      plan.predecessor.push_back(arch.predecessor[static_cast<std::size_t>(i)]);
      plan.activation.push_back(arch.activation[static_cast<std::size_t>(i)]);
    }
    plan.predecessor[0] = -1;
    for (int l : arch.loose_ends()) plan.loose_ends.push_back(l);
    return plan;
  }

  PtbModelOptions options_;
  BatchShard shard_;
};

/// Module holder of PtbSharedModelImpl.
template <class Space>
class PtbSharedModel : public torch::nn::ModuleHolder<PtbSharedModelImpl<Space>> {
 public:
  using torch::nn::ModuleHolder<PtbSharedModelImpl<Space>>::ModuleHolder;
  using Impl = PtbSharedModelImpl<Space>;
};

/// The model of one fixed cell for training from scratch (§3.1 fixed model): W_prev 2H×2H, one
/// H×2H matrix per node, the tied embedding; no biases, no normalization; 26·H² + V·H parameters
/// for 12 nodes.
template <class Space>
class PtbFixedModelImpl : public torch::nn::Cloneable<PtbFixedModelImpl<Space>> {
  ENAS_ASSERT_SEARCH_SPACE("enas::nn::PtbFixedModel", Space);

 public:
  using Arch = typename Space::Arch;
  static constexpr int kNodes = Space::num_nodes;

  PtbFixedModelImpl(const Arch& arch, PtbModelOptions options) : arch_(arch), options_(options) {
    options_.validate();
    plan_.predecessor.push_back(-1);
    plan_.activation.push_back(arch.activation[0]);
    for (int i = 1; i < kNodes; ++i) {
      plan_.predecessor.push_back(arch.predecessor[static_cast<std::size_t>(i)]);
      plan_.activation.push_back(arch.activation[static_cast<std::size_t>(i)]);
    }
    for (int l : arch.loose_ends()) plan_.loose_ends.push_back(l);
    reset();
  }

  void reset() override {
    const auto h = options_.hidden;
    const double r = options_.init_range();
    auto uniform = [r](std::vector<std::int64_t> shape) { return at::empty(shape).uniform_(-r, r); };
    w_node.clear();
    w_prev = this->register_parameter("w_prev", uniform({2 * h, 2 * h}));
    for (int i = 1; i < kNodes; ++i) w_node.push_back(this->register_parameter("w_" + std::to_string(i), uniform({h, 2 * h})));
    embedding = this->register_parameter("embedding", uniform({options_.vocab, h}));
  }

  /// One window, with dropout in training mode (train()) and without in evaluation mode (eval()).
  WindowResult forward(const at::Tensor& x, const at::Tensor& y, const at::Tensor& state) {
    return window(x, y, state, false);
  }
  /// forward() whose result also carries the slowness term of §3.2 (the final model's regulariser).
  WindowResult forward_with_slowness(const at::Tensor& x, const at::Tensor& y, const at::Tensor& state) {
    return window(x, y, state, true);
  }

  const Arch& arch() const { return arch_; }
  const PtbModelOptions& options() const { return options_; }

  /// Trains on a share of the batch from now on (BatchShard; no batch norm to synchronise here).
  void shard_batch(BatchShard shard) { shard_ = shard; }
  const BatchShard& batch_shard() const { return shard_; }

  at::Tensor w_prev;
  std::vector<at::Tensor> w_node;
  at::Tensor embedding;

 private:
  WindowResult window(const at::Tensor& x, const at::Tensor& y, const at::Tensor& state, bool slowness) {
    CellWindowConfig cfg;
    cfg.plan = &plan_;
    cfg.kernels = activation_kernels<typename Space::activations>().data();
    cfg.num_kernels = Space::num_activations;
    return detail::lm_window(embedding, w_prev, x, y, state, w_node, options_, cfg, this->is_training(), slowness,
                             shard_);
  }

  Arch arch_;
  PtbModelOptions options_;
  CellPlan plan_;
  BatchShard shard_;
};

/// Module holder of PtbFixedModelImpl.
template <class Space>
class PtbFixedModel : public torch::nn::ModuleHolder<PtbFixedModelImpl<Space>> {
 public:
  using torch::nn::ModuleHolder<PtbFixedModelImpl<Space>>::ModuleHolder;
  using Impl = PtbFixedModelImpl<Space>;
};

}  // namespace enas::nn

#endif  // ENAS_NN_PTB_MODELS_HPP
