/// @file
/// @brief The REINFORCE objective of the ENAS controllers (enas-reference.md §6): the reward with
/// its entropy bonus, the exponential-moving-average baseline, and the policy-gradient loss with
/// the optional skip penalty and L2. Independent of the controller network, so that another
/// policy network reuses it.
#ifndef ENAS_CONTROLLERS_REINFORCE_HPP
#define ENAS_CONTROLLERS_REINFORCE_HPP

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "enas/controllers/sample_batch.hpp"
#include "enas/core/controller_options.hpp"
#include "enas/core/error.hpp"

namespace enas::controllers {

/// REINFORCE with an EMA baseline. Per sample, in the order sampled:
///   R = task_reward + entropy_weight · H;   b ← b − (1 − bl_dec)(b − R);   A = R − b
/// (the baseline moves before the advantage, as in the reference), and the loss to minimise is
///   mean_i(−log π(a_i) · A_i + skip_weight · KL_i) + l2_reg · Σ w².
class Reinforce {
 public:
  explicit Reinforce(double baseline = 0.0) : baseline_(baseline) {}

  /// The advantages of a batch; moves the baseline through every sample and records reward,
  /// baseline and entropy per sample in `stats`. `entropy` holds one value per sample.
  std::vector<double> advantages(const std::vector<double>& task_rewards, const at::Tensor& entropy,
                                 const ControllerOptions& o, UpdateStats& stats) {
    const auto k = static_cast<std::int64_t>(task_rewards.size());
    if (entropy.numel() != k) {
      throw ConfigError("controller update: " + std::to_string(k) + " rewards for " + std::to_string(entropy.numel()) +
                        " samples");
    }
    const auto host = entropy.to(at::kDouble).cpu().contiguous();
    const auto* h = host.data_ptr<double>();
    std::vector<double> out(static_cast<std::size_t>(k));
    for (std::int64_t i = 0; i < k; ++i) {
      const double reward = task_rewards[static_cast<std::size_t>(i)] + o.entropy_weight * h[i];
      baseline_ -= (1.0 - o.bl_dec) * (baseline_ - reward);
      out[static_cast<std::size_t>(i)] = reward - baseline_;
      stats.reward.push_back(reward);
      stats.baseline.push_back(baseline_);
      stats.entropy.push_back(h[i]);
    }
    return out;
  }

  /// The per-sample policy-gradient terms −log π(a_i)·A_i (+ skip_weight·KL_i when `skip_penalty`
  /// is defined and the weight positive); their mean plus L2 over `params` is the loss.
  static at::Tensor per_sample_loss(const at::Tensor& log_prob, const std::vector<double>& advantages,
                                    const at::Tensor& skip_penalty, const ControllerOptions& o) {
    const auto adv = at::tensor(advantages, at::kDouble).to(log_prob.scalar_type());
    auto per_sample = -log_prob * adv;
    if (o.skip_weight > 0 && skip_penalty.defined()) per_sample = per_sample + o.skip_weight * skip_penalty;
    return per_sample;
  }
  static at::Tensor loss(const at::Tensor& per_sample, const std::vector<at::Tensor>& params, const ControllerOptions& o) {
    auto loss = per_sample.mean();
    if (o.l2_reg > 0) {
      for (const auto& p : params) loss = loss + o.l2_reg * p.pow(2).sum();
    }
    return loss;
  }

  double baseline() const { return baseline_; }
  void set_baseline(double b) { baseline_ = b; }

 private:
  double baseline_;
};

}  // namespace enas::controllers

#endif  // ENAS_CONTROLLERS_REINFORCE_HPP
