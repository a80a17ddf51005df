/// @file
/// @brief A batch of sampled architectures with what REINFORCE needs of each.
#ifndef ENAS_CONTROLLERS_SAMPLE_BATCH_HPP
#define ENAS_CONTROLLERS_SAMPLE_BATCH_HPP

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace enas::controllers {

/// K architectures drawn together. Row k of `tokens` is an architecture string's tokens.
struct SampleBatch {
  at::Tensor tokens;        ///< [K, num_tokens] int64 on the CPU
  at::Tensor log_prob;      ///< [K] sum of log pi(a) over the decisions; differentiable when asked
  at::Tensor entropy;       ///< [K] entropy term of the reward (space-dependent form), detached
  at::Tensor skip_penalty;  ///< [K] macro skip KL averaged over layers (zeros elsewhere)

  std::int64_t size() const { return tokens.size(0); }

  /// Tokens of sample k.
  std::vector<int> arc(std::int64_t k) const {
    const auto row = tokens[k].contiguous();
    const auto* p = row.data_ptr<std::int64_t>();
    return std::vector<int>(p, p + row.numel());
  }
};

/// Statistics of one controller update, per sample where the reference logs per sample.
struct UpdateStats {
  std::vector<double> loss;      ///< REINFORCE loss of each sample (+ skip penalty)
  std::vector<double> reward;    ///< reward with its entropy bonus
  std::vector<double> baseline;  ///< baseline after each sample's update
  std::vector<double> entropy;   ///< entropy of each sample
  double grad_norm = 0.0;        ///< global norm of the averaged gradient
  double lr = 0.0;
  /// Why the update was skipped (a reward, loss or gradient that is not finite); empty when applied.
  std::string skipped;
};

}  // namespace enas::controllers

#endif  // ENAS_CONTROLLERS_SAMPLE_BATCH_HPP
