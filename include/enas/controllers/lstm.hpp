/// @file
/// @brief The ENAS controller: an LSTM that samples an architecture decision by decision and is
/// trained by REINFORCE with an exponential-moving-average baseline (§6).
#ifndef ENAS_CONTROLLERS_LSTM_HPP
#define ENAS_CONTROLLERS_LSTM_HPP

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "enas/controllers/decision_trace.hpp"
#include "enas/controllers/reinforce.hpp"
#include "enas/controllers/sample_batch.hpp"
#include "enas/core/arc.hpp"
#include "enas/core/concepts.hpp"
#include "enas/core/controller_options.hpp"
#include "enas/core/controller_program.hpp"
#include "enas/core/error.hpp"
#include "enas/io/checkpoint.hpp"
#include "enas/optim/tf_adam.hpp"

namespace enas::controllers {

/// The controller network: LSTM weights, embeddings, softmax and attention. `run` interprets the
/// space's program for K samples at once (one batched pass costs the same number of operations
/// as one sample), either sampling every decision or scoring given tokens (teacher forcing).
///
/// @tparam Space a model of enas::SearchSpace
template <class Space>
class LstmNetImpl : public torch::nn::Cloneable<LstmNetImpl<Space>> {
  ENAS_ASSERT_SEARCH_SPACE("enas::controllers::LstmNet", Space);

 public:
  static constexpr ControllerLayout layout = Space::controller_layout;

  explicit LstmNetImpl(ControllerOptions options = Space::controller_defaults()) : options_(options) {
    options_.validate();
    reset();
  }

  void reset() override {
    const std::int64_t n = options_.lstm_size;
    const double r = options_.init_range;
    auto uniform = [r](std::vector<std::int64_t> shape) { return at::empty(shape).uniform_(-r, r); };
    w_lstm = this->register_parameter("w_lstm", uniform({2 * n, 4 * n}));
    g_emb = this->register_parameter("g_emb", uniform({1, n}));
    w_emb = this->register_parameter("w_emb", uniform({layout.num_ops, n}));
    w_soft = this->register_parameter("w_soft", uniform({n, layout.num_ops}));
    if (layout.favoured_ops > 0) {
      auto b = at::zeros({1, layout.num_ops});
      b.narrow(1, 0, layout.favoured_ops).fill_(layout.learned_op_bias);
      b_soft = this->register_parameter("b_soft", b);
      auto fixed = at::full({1, layout.num_ops}, -layout.fixed_op_bias);
      fixed.narrow(1, 0, layout.favoured_ops).fill_(layout.fixed_op_bias);
      fixed_bias_ = this->register_buffer("fixed_op_bias", fixed);
    }
    w_attn_1 = this->register_parameter("w_attn_1", uniform({n, n}));
    w_attn_2 = this->register_parameter("w_attn_2", uniform({n, n}));
    v_attn = this->register_parameter("v_attn", uniform({n, 1}));
    prior_.clear();
  }

  /// Runs the program for `k` samples. With `forced` ([k, num_tokens] int64) the decisions are
  /// read from it and only scored; otherwise they are drawn with `generator`. Differentiable
  /// when grad mode is on. With `trace`, every decision's numbers are copied into it.
  SampleBatch run(std::int64_t k, const at::Tensor& forced, at::Generator generator,
                  DecisionTrace* trace = nullptr) const;

  /// Draws one architecture without gradients on the host (detail/host_sampler.hpp): the same
  /// distribution and, for a given generator state, the same draw as run(1, {}, generator).
  SampleBatch sample_on_host(at::Generator generator, DecisionTrace* trace = nullptr) const;

  /// Scores one architecture's tokens on the host, without gradients: the host path's numbers
  /// for given decisions (what run(1, tokens, ...) computes with tensors).
  SampleBatch score_on_host(const std::vector<int>& tokens, DecisionTrace* trace = nullptr) const;

  /// True when the weights are float32, contiguous and on the CPU, which sample_on_host needs.
  bool host_path_available() const;

  const ControllerOptions& options() const { return options_; }

  at::Tensor w_lstm, g_emb, w_emb, w_soft, b_soft, w_attn_1, w_attn_2, v_attn;

 private:
  at::Tensor distance_prior(std::int64_t count) const;
  SampleBatch host_pass(const std::int64_t* forced, at::Generator& generator, DecisionTrace* trace) const;

  ControllerOptions options_;
  at::Tensor fixed_bias_;
  mutable std::vector<at::Tensor> prior_;  // (count - j)^2 / 6 for j < count, by count
};

/// Module holder of LstmNetImpl (TORCH_MODULE cannot take a template).
template <class Space>
class LstmNet : public torch::nn::ModuleHolder<LstmNetImpl<Space>> {
 public:
  using torch::nn::ModuleHolder<LstmNetImpl<Space>>::ModuleHolder;
  using Impl = LstmNetImpl<Space>;
};

/// The ENAS controller policy: LstmNet + TF-style Adam + REINFORCE (EMA baseline) + its own generator.
/// Models enas::Controller. Lives on the CPU: sampling is a chain of batch-1 steps whose decisions
/// the host needs at once, which a GPU would only slow down with launches and synchronisations.
template <class Space>
class Lstm {
  ENAS_ASSERT_SEARCH_SPACE("enas::controllers::Lstm", Space);

 public:
  using space_type = Space;
  static constexpr bool is_trainable = true;

  explicit Lstm(ControllerOptions options = Space::controller_defaults(), std::uint64_t seed = 0)
      : net_(options),  // validates the options
        optimizer_(net_->parameters(), optim::TfAdamOptions{options.lr, 0.0, 0.999, 1e-3}),
        generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

  /// Draws k architectures. With `with_grad` the log-probabilities keep their graph for update().
  SampleBatch sample(std::int64_t k, bool with_grad = false) {
    if (with_grad) return net_->run(k, at::Tensor(), generator_);
    at::NoGradGuard no_grad;
    if (k == 1 && net_->host_path_available()) return net_->sample_on_host(generator_);
    return net_->run(k, at::Tensor(), generator_);
  }

  /// Scores given architectures ([k, num_tokens] int64): their log-probabilities and entropies.
  SampleBatch score(const at::Tensor& tokens, bool with_grad = false) const {
    if (with_grad) return net_->run(tokens.size(0), tokens, generator_);
    at::NoGradGuard no_grad;
    return net_->run(tokens.size(0), tokens, generator_);
  }

  /// One REINFORCE update (controllers::Reinforce: reward with entropy bonus, EMA baseline,
  /// −log π(a)·advantage + skip penalty) from a batch sampled with_grad and the task reward of
  /// each sample. The gradients of the batch are averaged into one Adam step, as the reference's
  /// SyncReplicasOptimizer does over num_aggregate runs.
  UpdateStats update(const SampleBatch& batch, const std::vector<double>& task_rewards);

  double baseline() const { return reinforce_.baseline(); }
  void set_baseline(double b) { reinforce_.set_baseline(b); }

  /// The entropy in nats of the policy over whole architectures, estimated from `k` samples
  /// drawn with a copy of the generator (the run's own draws stay as they were): by the chain
  /// rule, the mean over samples of the summed full entropies of their decisions. A uniform
  /// policy has uniform_entropy(Space::program); a collapsed one is near 0.
  double policy_entropy(std::int64_t k = 32) const {
    at::NoGradGuard no_grad;
    DecisionTrace trace;
    net_->run(k, at::Tensor(), generator_.clone(), &trace);
    double sum = 0.0;
    for (const auto& d : trace.decisions)
      for (double h : d.entropy_full) sum += h;
    return sum / static_cast<double>(k);
  }

  /// Everything a resumed run needs: weights, Adam state, baseline, generator.
  void save(io::OutputArchive& a) const {
    io::write_module(a, "net", *net_);
    io::OutputArchive adam;
    optimizer_.save(adam);
    a.write("adam", adam);
    io::write_double(a, "baseline", reinforce_.baseline());
    io::write_generator(a, "generator", generator_);
  }
  void load(io::InputArchive& a) {
    io::read_module(a, "net", *net_);
    io::InputArchive adam;
    if (!io::try_read_archive(a, "adam", adam)) {
      throw CheckpointError("checkpoint lacks the controller's optimizer state");
    }
    optimizer_.load(adam);
    reinforce_.set_baseline(io::read_double(a, "baseline"));
    io::read_generator(a, "generator", generator_);
  }

  LstmNet<Space>& net() { return net_; }
  const LstmNet<Space>& net() const { return net_; }
  optim::TfAdam& optimizer() { return optimizer_; }
  at::Generator& generator() { return generator_; }
  const ControllerOptions& options() const { return net_->options(); }

 private:
  LstmNet<Space> net_;
  optim::TfAdam optimizer_;
  mutable at::Generator generator_;
  Reinforce reinforce_;
};

}  // namespace enas::controllers

#include "enas/controllers/lstm_impl.hpp"

#endif  // ENAS_CONTROLLERS_LSTM_HPP
