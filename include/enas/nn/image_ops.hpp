/// @file
/// @brief Building blocks of the CIFAR-10 models, with TensorFlow's semantics where they differ
/// from PyTorch's defaults: "SAME" padding (asymmetric at stride 2), average pooling that excludes
/// padding, He-normal init as tf.contrib.keras's he_normal (truncated normal, σ = √(2 / fan_in)),
/// batch norm with TF's epsilon and decay and an explicit choice of batch or moving statistics.
#ifndef ENAS_NN_IMAGE_OPS_HPP
#define ENAS_NN_IMAGE_OPS_HPP

#include <ATen/ATen.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/core/ops.hpp"
#include "enas/core/type_list.hpp"
#include "enas/nn/channels_last_norm.hpp"
#include "enas/nn/replicas.hpp"
#include "enas/nn/synced_norm.hpp"

namespace enas::nn {

/// He-normal init of `shape` with the given fan-in: normal(0, σ²) truncated at ±2σ.
inline at::Tensor he_normal(std::vector<std::int64_t> shape, std::int64_t fan_in) {
  const double sigma = std::sqrt(2.0 / static_cast<double>(fan_in));
  auto w = at::empty(shape).normal_(0.0, sigma);
  for (auto outside = w.abs() > 2 * sigma; outside.any().item<bool>(); outside = w.abs() > 2 * sigma) {
    w.masked_scatter_(outside, at::empty({outside.sum().item<std::int64_t>()}).normal_(0.0, sigma));
  }
  return w;
}

namespace detail {

/// TF "SAME" padding of one spatial size: (before, after) so that out = ceil(in / stride).
inline std::pair<std::int64_t, std::int64_t> same_padding(std::int64_t in, std::int64_t kernel, std::int64_t stride) {
  const auto out = (in + stride - 1) / stride;
  const auto total = std::max<std::int64_t>((out - 1) * stride + kernel - in, 0);
  return {total / 2, total - total / 2};
}


/// An op's (kind, kernel) pair by id, from a TypeList of op types.
template <class OpList>
const auto& op_table() {
  static const auto table = make_type_table(OpList{}, [](auto tag) {
    using Op = typename decltype(tag)::type;
    return std::pair<ops::OpKind, std::int64_t>{Op::kind, Op::kernel};
  });
  return table;
}

}  // namespace detail

/// Convolution with TF "SAME" padding: symmetric when possible (stride 1, odd kernel), else an
/// explicit asymmetric pad (more at the bottom/right, as TF does).
inline at::Tensor same_conv2d(const at::Tensor& x, const at::Tensor& weight, std::int64_t stride, std::int64_t groups = 1) {
  const auto [top, bottom] = detail::same_padding(x.size(2), weight.size(2), stride);
  const auto [left, right] = detail::same_padding(x.size(3), weight.size(3), stride);
  const std::array<std::int64_t, 2> strides{stride, stride}, dilation{1, 1};
  const c10::optional<at::Tensor> no_bias;
  if (top == bottom && left == right) {
    const std::array<std::int64_t, 2> padding{top, left};
    return at::conv2d(x, weight, no_bias, strides, padding, dilation, groups);
  }
  const std::array<std::int64_t, 2> no_padding{0, 0};
  return at::conv2d(at::constant_pad_nd(x, {left, right, top, bottom}, 0.0), weight, no_bias, strides, no_padding,
                    dilation, groups);
}

/// Max or average pooling with TF "SAME" padding; the average excludes padded positions.
inline at::Tensor same_pool2d(const at::Tensor& x, ops::OpKind kind, std::int64_t kernel, std::int64_t stride) {
  const auto [top, bottom] = detail::same_padding(x.size(2), kernel, stride);
  const auto [left, right] = detail::same_padding(x.size(3), kernel, stride);
  const bool symmetric = top == bottom && left == right;
  if (kind == ops::OpKind::kMaxPool) {
    if (symmetric) return at::max_pool2d(x, {kernel, kernel}, {stride, stride}, {top, left});
    return at::max_pool2d(at::constant_pad_nd(x, {left, right, top, bottom}, -std::numeric_limits<double>::infinity()),
                          {kernel, kernel}, {stride, stride});
  }
  if (symmetric) return at::avg_pool2d(x, {kernel, kernel}, {stride, stride}, {top, left}, false, false);
  const auto sums = at::avg_pool2d(at::constant_pad_nd(x, {left, right, top, bottom}, 0.0), {kernel, kernel},
                                   {stride, stride}, {0, 0}, false, true);
  const auto ones = at::ones({1, 1, x.size(2), x.size(3)}, x.options());
  const auto valid = at::avg_pool2d(at::constant_pad_nd(ones, {left, right, top, bottom}, 0.0), {kernel, kernel},
                                    {stride, stride}, {0, 0}, false, true);
  return sums / valid;
}

/// A bias-free convolution with TF "SAME" padding and He-normal weights [out, in/groups, k, k].
class SameConvImpl : public torch::nn::Cloneable<SameConvImpl> {
 public:
  SameConvImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride = 1, std::int64_t groups = 1)
      : in_(in), out_(out), kernel_(kernel), stride_(stride), groups_(groups) {
    if (in < 1 || out < 1 || kernel < 1 || stride < 1 || in % groups != 0 || out % groups != 0) {
      throw ConfigError("convolution: bad shape in=" + std::to_string(in) + " out=" + std::to_string(out) +
                        " kernel=" + std::to_string(kernel) + " groups=" + std::to_string(groups));
    }
    reset();
  }
  void reset() override {
    // TF's fan-in of the equivalent kernel [k, k, in, out / groups]: k·k·in.
    weight = register_parameter("weight", he_normal({out_, in_ / groups_, kernel_, kernel_}, kernel_ * kernel_ * in_));
  }
  at::Tensor forward(const at::Tensor& x) { return same_conv2d(x, weight, stride_, groups_); }

  at::Tensor weight;

 private:
  std::int64_t in_, out_, kernel_, stride_, groups_;
};
TORCH_MODULE(SameConv);

/// Batch norm over [N, C, H, W] with TF's conventions: scale 1, offset 0, epsilon and the
/// moving-average decay given (TF decay d is PyTorch momentum 1 − d). Without moving statistics
/// (`track = false`) it always normalises with batch statistics, as the micro search model does.
class NormImpl : public torch::nn::Cloneable<NormImpl> {
 public:
  explicit NormImpl(std::int64_t channels, double eps = 1e-5, double decay = 0.9, bool track = true)
      : channels_(channels), eps_(eps), decay_(decay), track_(track) {
    reset();
  }
  void reset() override {
    scale = register_parameter("scale", at::ones({channels_}));
    offset = register_parameter("offset", at::zeros({channels_}));
    if (track_) {
      running_mean = register_buffer("running_mean", at::zeros({channels_}));
      running_var = register_buffer("running_var", at::ones({channels_}));
    }
  }
  /// Batch statistics (updating the moving averages) in training mode (train()), the moving ones
  /// in evaluation mode (eval()); batch statistics always without moving ones.
  at::Tensor forward(const at::Tensor& x) {
    const bool batch_stats = !track_ || is_training();
    if (batch_stats) {
      // In a data-parallel training pass with synchronised batch norm: the whole batch's statistics.
      if (const auto* sync = current_replica().sync) {
        return synced_batch_norm(x, scale, offset, running_mean, running_var, 1.0 - decay_, eps_, *sync);
      }
      return batch_norm_batch_stats(x, scale, offset, running_mean, running_var, 1.0 - decay_, eps_);
    }
    return at::batch_norm(x, scale, offset, running_mean, running_var, batch_stats, 1.0 - decay_, eps_,
                          /*cudnn_enabled=*/true);
  }

  at::Tensor scale, offset, running_mean, running_var;

 private:
  std::int64_t channels_;
  double eps_, decay_;
  bool track_;
};
TORCH_MODULE(Norm);

/// ReLU → 1×1 conv → BN: the reference's projection and calibration block.
class ReluConvNormImpl : public torch::nn::Cloneable<ReluConvNormImpl> {
 public:
  ReluConvNormImpl(std::int64_t in, std::int64_t out, bool track = true) : in_(in), out_(out), track_(track) { reset(); }
  void reset() override {
    conv = register_module("conv", SameConv(in_, out_, 1));
    norm = register_module("norm", Norm(out_, 1e-5, 0.9, track_));
  }
  at::Tensor forward(const at::Tensor& x) { return norm->forward(conv->forward(at::relu(x))); }

  SameConv conv = nullptr;
  Norm norm = nullptr;

 private:
  std::int64_t in_, out_;
  bool track_;
};
TORCH_MODULE(ReluConvNorm);

/// Factorized reduction (§4.1): halves the resolution without discarding pixels: one 1×1 conv
/// on the even pixels, one on the odd pixels (shifted by one), concatenated, then BN.
class FactorizedReductionImpl : public torch::nn::Cloneable<FactorizedReductionImpl> {
 public:
  FactorizedReductionImpl(std::int64_t in, std::int64_t out, bool track = true) : in_(in), out_(out), track_(track) {
    if (out % 2 != 0) throw ConfigError("factorized reduction needs an even number of output filters, got " + std::to_string(out));
    reset();
  }
  void reset() override {
    path1 = register_module("path1", SameConv(in_, out_ / 2, 1));
    path2 = register_module("path2", SameConv(in_, out_ / 2, 1));
    norm = register_module("norm", Norm(out_, 1e-5, 0.9, track_));
  }
  at::Tensor forward(const at::Tensor& x) {
    using at::indexing::None;
    using at::indexing::Slice;
    const auto even = x.index({Slice(), Slice(), Slice(None, None, 2), Slice(None, None, 2)});
    // Pad one row and column at the bottom/right, drop the first: the image shifted by one pixel.
    const auto shifted = at::constant_pad_nd(x, {0, 1, 0, 1}, 0.0).index({Slice(), Slice(), Slice(1, None), Slice(1, None)});
    const auto odd = shifted.index({Slice(), Slice(), Slice(None, None, 2), Slice(None, None, 2)});
    return norm->forward(at::cat({path1->forward(even), path2->forward(odd)}, 1));
  }

  SameConv path1 = nullptr, path2 = nullptr;
  Norm norm = nullptr;

 private:
  std::int64_t in_, out_;
  bool track_;
};
TORCH_MODULE(FactorizedReduction);

/// Depthwise K×K then pointwise 1×1 (tf.nn.separable_conv2d, channel multiplier 1); the stride
/// applies to the depthwise step.
class SepConvImpl : public torch::nn::Cloneable<SepConvImpl> {
 public:
  SepConvImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride = 1)
      : in_(in), out_(out), kernel_(kernel), stride_(stride) {
    reset();
  }
  void reset() override {
    depthwise = register_module("depthwise", SameConv(in_, in_, kernel_, stride_, in_));
    pointwise = register_module("pointwise", SameConv(in_, out_, 1));
  }
  at::Tensor forward(const at::Tensor& x) { return pointwise->forward(depthwise->forward(x)); }

  SameConv depthwise = nullptr, pointwise = nullptr;

 private:
  std::int64_t in_, out_, kernel_, stride_;
};
TORCH_MODULE(SepConv);

/// Global average pooling to [N, C].
inline at::Tensor global_avg_pool(const at::Tensor& x) { return x.mean({2, 3}); }

/// Stores every 4-D parameter (convolution weights) of `module` in channels-last layout. With
/// inputs in the same layout, oneDNN on the CPU (and cuDNN's NHWC kernels) run without converting
/// every tensor to and from their preferred layout: a micro network step ran 1.65 s → 1.12 s here.
inline void to_channels_last(torch::nn::Module& module) {
  for (auto& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
}

/// Total number of elements of a module's parameters.
inline std::int64_t count_parameters(const torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace enas::nn

#endif  // ENAS_NN_IMAGE_OPS_HPP
