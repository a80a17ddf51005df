/// @file
/// @brief Random search with weight sharing: every decision uniform, nothing learned. The
/// baseline NAS papers compare ENAS against (Li & Talwalkar, 2019).
#ifndef ENAS_CONTROLLERS_RANDOM_HPP
#define ENAS_CONTROLLERS_RANDOM_HPP

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "enas/controllers/sample_batch.hpp"
#include "enas/core/concepts.hpp"
#include "enas/core/controller_options.hpp"
#include "enas/core/controller_program.hpp"
#include "enas/core/error.hpp"
#include "enas/io/checkpoint.hpp"

namespace enas::controllers {

/// Uniform sampling over the space: each token independently uniform in the range its position
/// allows (which the space's program defines), so every architecture is equally likely.
/// Models enas::Controller; update() only tracks the reward's moving average for the logs.
template <class Space>
class Random {
  ENAS_ASSERT_SEARCH_SPACE("enas::controllers::Random", Space);

 public:
  using space_type = Space;
  static constexpr bool is_trainable = false;

  explicit Random(ControllerOptions options = Space::controller_defaults(), std::uint64_t seed = 0)
      : options_((options.validate(), options)), generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

  SampleBatch sample(std::int64_t k, bool /*with_grad*/ = false) {
    at::NoGradGuard no_grad;
    auto tokens = at::empty({k, Space::num_tokens}, at::kLong);
    for (int p = 0; p < Space::num_tokens; ++p) {
      tokens.select(1, p).random_(0, bounds_[static_cast<std::size_t>(p)], generator_);
    }
    return score(tokens);
  }

  /// log pi(a) = −Σ log(range) for every architecture; entropy is its negation.
  SampleBatch score(const at::Tensor& tokens, bool /*with_grad*/ = false) const {
    double log_prob = 0.0;
    for (int b : bounds_) log_prob -= std::log(static_cast<double>(b));
    SampleBatch out;
    out.tokens = tokens.to(at::kLong);
    out.log_prob = at::full({tokens.size(0)}, log_prob, at::kFloat);
    out.entropy = at::full({tokens.size(0)}, -log_prob, at::kFloat);
    out.skip_penalty = at::zeros({tokens.size(0)}, at::kFloat);
    return out;
  }

  UpdateStats update(const SampleBatch& batch, const std::vector<double>& task_rewards) {
    if (static_cast<std::int64_t>(task_rewards.size()) != batch.size()) {
      throw ConfigError("controller update: rewards and samples differ in number");
    }
    UpdateStats stats;
    for (double r : task_rewards) {
      baseline_ -= (1.0 - options_.bl_dec) * (baseline_ - r);
      stats.reward.push_back(r);
      stats.baseline.push_back(baseline_);
      stats.loss.push_back(0.0);
      stats.entropy.push_back(batch.entropy[0].template item<double>());
    }
    return stats;
  }

  double baseline() const { return baseline_; }
  /// The uniform policy's entropy in nats, Σ over positions of log(range).
  double policy_entropy() const { return uniform_entropy<Space::num_tokens>(Space::program); }
  void set_baseline(double b) { baseline_ = b; }

  void save(io::OutputArchive& a) const {
    io::write_double(a, "baseline", baseline_);
    io::write_generator(a, "generator", generator_);
  }
  void load(io::InputArchive& a) {
    baseline_ = io::read_double(a, "baseline");
    io::read_generator(a, "generator", generator_);
  }
  at::Generator& generator() { return generator_; }
  const ControllerOptions& options() const { return options_; }

 private:
  static constexpr auto bounds_ = token_bounds<Space::num_tokens>(Space::program);
  ControllerOptions options_;
  mutable at::Generator generator_;
  double baseline_ = 0.0;
};

}  // namespace enas::controllers

#endif  // ENAS_CONTROLLERS_RANDOM_HPP
