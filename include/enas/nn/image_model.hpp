/// @file
/// @brief What every image model shares: its sizes (ImageModelOptions) and what a forward pass
/// returns (ImageForward). A model family of its own (families/) builds on these.
#ifndef ENAS_NN_IMAGE_MODEL_HPP
#define ENAS_NN_IMAGE_MODEL_HPP

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "enas/core/error.hpp"
#include "enas/nn/replicas.hpp"

namespace enas::nn {

/// Sizes of a CIFAR-10 network.
struct ImageModelOptions {
  std::int64_t out_filters = 36;  ///< child_out_filters F
  double keep_prob = 0.9;         ///< child_keep_prob: dropout keep before the classifier
  std::int64_t num_classes = 10;

  void validate() const {
    if (out_filters < 2 || out_filters % 2 != 0) {
      throw ConfigError("--child_out_filters must be even and >= 2 (factorized reductions halve it), got " +
                        std::to_string(out_filters));
    }
    if (!(keep_prob > 0.0 && keep_prob <= 1.0)) throw ConfigError("--child_keep_prob must lie in (0, 1]");
  }
};

/// What a forward pass of an image model returns.
struct ImageForward {
  at::Tensor logits;      ///< [N, classes]
  at::Tensor aux_logits;  ///< [N, classes] from the auxiliary head (micro, training), else undefined
};

namespace detail {

/// Dropout on the pooled features, then the bias-free classifier (TF fully_connected).
inline at::Tensor classify(const at::Tensor& features, const at::Tensor& fc, double keep_prob, bool training) {
  const auto x = training && keep_prob < 1.0 ? dropout_rows(features, keep_prob) : features;
  return at::mm(x, fc.t());
}

}  // namespace detail

}  // namespace enas::nn

#endif  // ENAS_NN_IMAGE_MODEL_HPP
