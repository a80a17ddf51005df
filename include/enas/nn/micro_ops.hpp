/// @file
/// @brief The ops of the CIFAR-10 micro cells (enas-reference.md §5.1-§5.3): the sep-conv stack,
/// the K×K conv, any op by kind, the calibration of a cell's inputs, and the auxiliary head. The
/// networks that stack them are in nn/micro_models.hpp.
#ifndef ENAS_NN_MICRO_OPS_HPP
#define ENAS_NN_MICRO_OPS_HPP

#include <ATen/ATen.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>

#include "enas/core/error.hpp"
#include "enas/core/ops.hpp"
#include "enas/nn/image_ops.hpp"

namespace enas::nn {

/// Two stacked [ReLU → sep-conv K×K → BN] (the micro space's sep op), the first with `stride`.
class SepConvStackImpl : public torch::nn::Cloneable<SepConvStackImpl> {
 public:
  SepConvStackImpl(std::int64_t filters, std::int64_t kernel, std::int64_t stride, bool track)
      : filters_(filters), kernel_(kernel), stride_(stride), track_(track) {
    reset();
  }
  void reset() override {
    sep1 = register_module("sep1", SepConv(filters_, filters_, kernel_, stride_));
    norm1 = register_module("norm1", Norm(filters_, 1e-5, 0.9, track_));
    sep2 = register_module("sep2", SepConv(filters_, filters_, kernel_, 1));
    norm2 = register_module("norm2", Norm(filters_, 1e-5, 0.9, track_));
  }
  at::Tensor forward(const at::Tensor& x) {
    const auto y = norm1->forward(sep1->forward(at::relu(x)));
    return norm2->forward(sep2->forward(at::relu(y)));
  }

  SepConv sep1 = nullptr, sep2 = nullptr;
  Norm norm1 = nullptr, norm2 = nullptr;

 private:
  std::int64_t filters_, kernel_, stride_;
  bool track_;
};
TORCH_MODULE(SepConvStack);

/// ReLU → K×K conv → BN: a plain convolution op in a cell (for spaces that list ops::Conv).
class ReluConvKNormImpl : public torch::nn::Cloneable<ReluConvKNormImpl> {
 public:
  ReluConvKNormImpl(std::int64_t filters, std::int64_t kernel, std::int64_t stride, bool track)
      : filters_(filters), kernel_(kernel), stride_(stride), track_(track) {
    reset();
  }
  void reset() override {
    conv = register_module("conv", SameConv(filters_, filters_, kernel_, stride_));
    norm = register_module("norm", Norm(filters_, 1e-5, 0.9, track_));
  }
  at::Tensor forward(const at::Tensor& x) { return norm->forward(conv->forward(at::relu(x))); }

  SameConv conv = nullptr;
  Norm norm = nullptr;

 private:
  std::int64_t filters_, kernel_, stride_;
  bool track_;
};
TORCH_MODULE(ReluConvKNorm);

/// One op of a cell, any kind: the parametrised ones hold their module, pooling and identity
/// need none (identity at stride 2 is a factorized reduction).
class CellOpImpl : public torch::nn::Cloneable<CellOpImpl> {
 public:
  CellOpImpl(ops::OpKind kind, std::int64_t kernel, std::int64_t filters, std::int64_t stride, bool track)
      : kind_(kind), kernel_(kernel), filters_(filters), stride_(stride), track_(track) {
    reset();
  }
  void reset() override {
    if (kind_ == ops::OpKind::kSepConv) sep = register_module("sep", SepConvStack(filters_, kernel_, stride_, track_));
    if (kind_ == ops::OpKind::kConv) conv = register_module("conv", ReluConvKNorm(filters_, kernel_, stride_, track_));
    if (kind_ == ops::OpKind::kIdentity && stride_ > 1) {
      reduce = register_module("reduce", FactorizedReduction(filters_, filters_, track_));
    }
  }
  at::Tensor forward(const at::Tensor& x) {
    switch (kind_) {
      case ops::OpKind::kSepConv: return sep->forward(x);
      case ops::OpKind::kConv: return conv->forward(x);
      case ops::OpKind::kAvgPool:
      case ops::OpKind::kMaxPool: return same_pool2d(x, kind_, kernel_, stride_);
      case ops::OpKind::kIdentity: return stride_ > 1 ? reduce->forward(x) : x;
    }
    return x;
  }
  /// True for the identity op, which drop-path leaves alone (§5.6).
  bool is_identity() const { return kind_ == ops::OpKind::kIdentity; }

  SepConvStack sep = nullptr;
  ReluConvKNorm conv = nullptr;
  FactorizedReduction reduce = nullptr;

 private:
  ops::OpKind kind_;
  std::int64_t kernel_, filters_, stride_;
  bool track_;
};
TORCH_MODULE(CellOp);

/// Brings a cell input to the cell's width and resolution (§5.2 "calibrate"): ReLU and a
/// factorized reduction when it has twice the resolution, ReLU-1×1-BN when only its width
/// differs, nothing otherwise.
class CalibrateImpl : public torch::nn::Cloneable<CalibrateImpl> {
 public:
  CalibrateImpl(std::int64_t in, std::int64_t in_res, std::int64_t out, std::int64_t out_res, bool track)
      : in_(in), in_res_(in_res), out_(out), out_res_(out_res), track_(track) {
    if (in_res != out_res && in_res != 2 * out_res) {
      throw ConfigError("micro cell: an input of resolution " + std::to_string(in_res) + " cannot be brought to " +
                        std::to_string(out_res));
    }
    reset();
  }
  void reset() override {
    if (in_res_ != out_res_) {
      reduce = register_module("reduce", FactorizedReduction(in_, out_, track_));
    } else if (in_ != out_) {
      project = register_module("project", ReluConvNorm(in_, out_, track_));
    }
  }
  at::Tensor forward(const at::Tensor& x) {
    if (!reduce.is_empty()) return reduce->forward(at::relu(x));
    if (!project.is_empty()) return project->forward(x);
    return x;
  }

  FactorizedReduction reduce = nullptr;
  ReluConvNorm project = nullptr;

 private:
  std::int64_t in_, in_res_, out_, out_res_;
  bool track_;
};
TORCH_MODULE(Calibrate);

/// The auxiliary classifier (§5.1): ReLU, 5×5 average pooling with stride 3 (VALID), 1×1 conv to
/// 128, BN, ReLU, a conv covering the whole remaining map (SAME) to 768, BN, ReLU, global pooling,
/// a bias-free classifier. Its BN always uses batch statistics, as in the reference.
class AuxHeadImpl : public torch::nn::Cloneable<AuxHeadImpl> {
 public:
  AuxHeadImpl(std::int64_t in, std::int64_t resolution, std::int64_t classes)
      : in_(in), hw_((resolution - 5) / 3 + 1), classes_(classes) {
    if (resolution < 5) throw ConfigError("auxiliary head: needs a feature map of at least 5x5");
    reset();
  }
  void reset() override {
    proj = register_module("proj", SameConv(in_, 128, 1));
    proj_norm = register_module("proj_norm", Norm(128, 1e-5, 0.9, false));
    conv = register_module("conv", SameConv(128, 768, hw_));
    conv_norm = register_module("conv_norm", Norm(768, 1e-5, 0.9, false));
    fc = register_parameter("fc", he_normal({classes_, 768}, 768));
  }
  at::Tensor forward(const at::Tensor& x) {
    auto y = at::avg_pool2d(at::relu(x), {5, 5}, {3, 3});
    y = at::relu(proj_norm->forward(proj->forward(y)));
    y = at::relu(conv_norm->forward(conv->forward(y)));
    return at::mm(global_avg_pool(y), fc.t());
  }

  SameConv proj = nullptr, conv = nullptr;
  Norm proj_norm = nullptr, conv_norm = nullptr;
  at::Tensor fc;

 private:
  std::int64_t in_, hw_, classes_;
};
TORCH_MODULE(AuxHead);

}  // namespace enas::nn

#endif  // ENAS_NN_MICRO_OPS_HPP
