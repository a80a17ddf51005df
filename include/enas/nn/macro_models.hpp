/// @file
/// @brief The CIFAR-10 macro models: the shared (search) network holding every layer's every op,
/// and the fixed network of one architecture (enas-reference.md §4).
#ifndef ENAS_NN_MACRO_MODELS_HPP
#define ENAS_NN_MACRO_MODELS_HPP

#include <ATen/ATen.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "enas/core/concepts.hpp"
#include "enas/core/error.hpp"
#include "enas/core/ops.hpp"
#include "enas/core/type_list.hpp"
#include "enas/nn/image_model.hpp"
#include "enas/nn/image_ops.hpp"

namespace enas::nn {

/// One op of one layer of the macro search network (§4.2, whole channels): a 1×1 conv, BN and
/// ReLU bring the input to F channels, then the K×K conv or sep-conv with BN (ε 1e-3) and ReLU, or
/// a 3×3 pooling with stride 1.
class MacroBranchImpl : public torch::nn::Cloneable<MacroBranchImpl> {
 public:
  MacroBranchImpl(ops::OpKind kind, std::int64_t kernel, std::int64_t filters)
      : kind_(kind), kernel_(kernel), filters_(filters) {
    reset();
  }
  void reset() override {
    inp = register_module("inp", SameConv(filters_, filters_, 1));
    inp_norm = register_module("inp_norm", Norm(filters_));
    if (kind_ == ops::OpKind::kConv) conv = register_module("conv", SameConv(filters_, filters_, kernel_));
    if (kind_ == ops::OpKind::kSepConv) sep = register_module("sep", SepConv(filters_, filters_, kernel_));
    if (kind_ == ops::OpKind::kConv || kind_ == ops::OpKind::kSepConv) {
      out_norm = register_module("out_norm", Norm(filters_, 1e-3, 0.9));
    }
  }
  at::Tensor forward(const at::Tensor& x) {
    const auto y = at::relu(inp_norm->forward(inp->forward(x)));
    switch (kind_) {
      case ops::OpKind::kConv: return at::relu(out_norm->forward(conv->forward(y)));
      case ops::OpKind::kSepConv: return at::relu(out_norm->forward(sep->forward(y)));
      default: return same_pool2d(y, kind_, kernel_, 1);
    }
  }

  SameConv inp = nullptr, conv = nullptr;
  SepConv sep = nullptr;
  Norm inp_norm = nullptr, out_norm = nullptr;

 private:
  ops::OpKind kind_;
  std::int64_t kernel_, filters_;
};
TORCH_MODULE(MacroBranch);

/// Stored layer outputs whose factorized reductions at the pooling points are computed only when
/// a later layer reads them: the search computes only the sampled path.
class ReducedOnDemand {
 public:
  template <class Reduce>
  explicit ReducedOnDemand(Reduce reduce) : reduce_(std::move(reduce)) {}

  void push(at::Tensor x) {
    values_.push_back(std::move(x));
    levels_.push_back(level_);
  }
  /// Every stored output is reduced once more (lazily) from now on.
  void pool() { ++level_; }
  /// Output i with all pooling points passed so far applied.
  const at::Tensor& get(std::size_t i) {
    while (levels_[i] < level_) {
      values_[i] = reduce_(levels_[i], i, values_[i]);
      ++levels_[i];
    }
    return values_[i];
  }
  std::size_t size() const { return values_.size(); }

 private:
  std::function<at::Tensor(int, std::size_t, const at::Tensor&)> reduce_;
  std::vector<at::Tensor> values_;
  std::vector<int> levels_;
  int level_ = 0;
};

/// The macro search network (§4.1-§4.3): stem, L layers each holding one branch per op, skip
/// sums with BN, factorized reductions of every stored output at the pooling points (F channels
/// throughout), global average pooling, dropout and a bias-free classifier. A forward pass runs
/// only the sampled op of each layer and reduces only the outputs that are read afterwards (the
/// TF code computed all six branches and, by a late-binding bug, always used max pooling; §0).
///
/// @tparam Space a Macro space (enas::spaces::Macro<Layers, Ops...>)
template <class Space>
class MacroSharedModelImpl : public torch::nn::Cloneable<MacroSharedModelImpl<Space>> {
  ENAS_ASSERT_SEARCH_SPACE("enas::nn::MacroSharedModel", Space);

 public:
  using Arch = typename Space::Arch;
  using Options = ImageModelOptions;
  static constexpr int kLayers = Space::num_layers;

  explicit MacroSharedModelImpl(ImageModelOptions options = {}) : options_(options) {
    options_.validate();
    reset();
  }

  void reset() override {
    const auto f = options_.out_filters;
    branches.clear();
    skip_norms.clear();
    reductions.clear();
    stem = this->register_module("stem", SameConv(3, f, 3));
    stem_norm = this->register_module("stem_norm", Norm(f));
    const auto& table = detail::op_table<typename Space::op_list>();
    for (int l = 0; l < kLayers; ++l) {
      for (std::size_t o = 0; o < table.size(); ++o) {
        branches.push_back(this->register_module("layer" + std::to_string(l) + "_op" + std::to_string(o),
                                                 MacroBranch(table[o].first, table[o].second, f)));
      }
      skip_norms.push_back(l > 0 ? this->register_module("layer" + std::to_string(l) + "_skip_norm", Norm(f)) : nullptr);
    }
    for (std::size_t p = 0; p < Space::pool_layers.size(); ++p) {
      reductions.emplace_back();
      for (int i = 0; i <= Space::pool_layers[p] + 1; ++i) {
        reductions[p].push_back(this->register_module(
            "pool" + std::to_string(p) + "_from" + std::to_string(i), FactorizedReduction(f, f)));
      }
    }
    fc = this->register_parameter("fc", he_normal({options_.num_classes, f}, f));
  }

  /// Logits of `arch` for images [N, 3, 32, 32]. Training mode (train()): batch statistics and
  /// dropout; evaluation mode (eval()): moving statistics, no dropout.
  ImageForward forward(const at::Tensor& images, const Arch& arch) {
    ReducedOnDemand layers([this](int pool, std::size_t i, const at::Tensor& x) {
      return reductions[static_cast<std::size_t>(pool)][i]->forward(x);
    });
    layers.push(stem_norm->forward(stem->forward(images)));
    at::Tensor out;
    for (int l = 0; l < kLayers; ++l) {
      const auto op = arch.op[static_cast<std::size_t>(l)];
      out = branches[static_cast<std::size_t>(l * Space::num_ops + op)]->forward(layers.get(static_cast<std::size_t>(l)));
      if (l > 0) {
        for (int i = 0; i < l; ++i) {
          if (arch.skip[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)]) out = out + layers.get(static_cast<std::size_t>(i));
        }
        out = skip_norms[static_cast<std::size_t>(l)]->forward(out);
      }
      layers.push(out);
      if (std::find(Space::pool_layers.begin(), Space::pool_layers.end(), l) != Space::pool_layers.end()) layers.pool();
    }
    return {detail::classify(global_avg_pool(out), fc, options_.keep_prob, this->is_training()), at::Tensor()};
  }

  const ImageModelOptions& options() const { return options_; }

  SameConv stem = nullptr;
  Norm stem_norm = nullptr;
  std::vector<MacroBranch> branches;                     ///< layer ℓ, op o at ℓ·num_ops + o
  std::vector<Norm> skip_norms;                          ///< null for layer 0
  std::vector<std::vector<FactorizedReduction>> reductions;  ///< [pooling point][stored output]
  at::Tensor fc;

 private:
  ImageModelOptions options_;
};

template <class Space>
class MacroSharedModel : public torch::nn::ModuleHolder<MacroSharedModelImpl<Space>> {
 public:
  using torch::nn::ModuleHolder<MacroSharedModelImpl<Space>>::ModuleHolder;
  using Impl = MacroSharedModelImpl<Space>;
};

/// One layer's op in the fixed macro network (§4.4, with real separable convs and pooling, §0):
/// ReLU, 1×1 conv to F, BN, then ReLU, K×K conv or sep-conv, BN; or a 3×3 pooling.
class MacroFixedOpImpl : public torch::nn::Cloneable<MacroFixedOpImpl> {
 public:
  MacroFixedOpImpl(ops::OpKind kind, std::int64_t kernel, std::int64_t in, std::int64_t filters)
      : kind_(kind), kernel_(kernel), in_(in), filters_(filters) {
    reset();
  }
  void reset() override {
    inp = register_module("inp", ReluConvNorm(in_, filters_));
    if (kind_ == ops::OpKind::kConv) conv = register_module("conv", SameConv(filters_, filters_, kernel_));
    if (kind_ == ops::OpKind::kSepConv) sep = register_module("sep", SepConv(filters_, filters_, kernel_));
    if (kind_ == ops::OpKind::kConv || kind_ == ops::OpKind::kSepConv) out_norm = register_module("out_norm", Norm(filters_));
  }
  at::Tensor forward(const at::Tensor& x) {
    const auto y = inp->forward(x);
    switch (kind_) {
      case ops::OpKind::kConv: return out_norm->forward(conv->forward(at::relu(y)));
      case ops::OpKind::kSepConv: return out_norm->forward(sep->forward(at::relu(y)));
      default: return same_pool2d(y, kind_, kernel_, 1);
    }
  }

  ReluConvNorm inp = nullptr;
  SameConv conv = nullptr;
  SepConv sep = nullptr;
  Norm out_norm = nullptr;

 private:
  ops::OpKind kind_;
  std::int64_t kernel_, in_, filters_;
};
TORCH_MODULE(MacroFixedOp);

/// The macro network of one architecture, trained from scratch (§4.4): filters double at each
/// pooling point, skips are concatenated and projected by ReLU, 1×1 conv, BN. Factorized
/// reductions exist only for the stored outputs that a later layer reads.
template <class Space>
class MacroFixedModelImpl : public torch::nn::Cloneable<MacroFixedModelImpl<Space>> {
  ENAS_ASSERT_SEARCH_SPACE("enas::nn::MacroFixedModel", Space);

 public:
  using Arch = typename Space::Arch;
  using Options = ImageModelOptions;
  static constexpr int kLayers = Space::num_layers;

  MacroFixedModelImpl(const Arch& arch, ImageModelOptions options) : arch_(arch), options_(options) {
    options_.validate();
    reset();
  }

  void reset() override {
    const auto& table = detail::op_table<typename Space::op_list>();
    layer_ops.clear();
    skip_projections.clear();
    reductions.assign(Space::pool_layers.size(), {});
    std::int64_t f = options_.out_filters;
    stem = this->register_module("stem", SameConv(3, f, 3));
    stem_norm = this->register_module("stem_norm", Norm(f));
    // Which stored outputs (index 0 = stem, i + 1 = layer i) does a layer read after point p?
    auto read_after = [&](int i, int first_layer) {
      for (int l = std::max(first_layer, 0); l < kLayers; ++l) {
        if (i == l || (i < l && arch_.skip[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)])) return true;
      }
      return false;
    };
    int pool = 0;
    for (int l = 0; l < kLayers; ++l) {
      const auto [kind, kernel] = table.at(static_cast<std::size_t>(arch_.op[static_cast<std::size_t>(l)]));
      const auto id = std::to_string(l);
      layer_ops.push_back(this->register_module("layer" + id, MacroFixedOp(kind, kernel, f, f)));
      int skips = 0;
      for (int i = 0; i < l; ++i) skips += arch_.skip[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)];
      skip_projections.push_back(
          l > 0 ? this->register_module("layer" + id + "_skip", ReluConvNorm((skips + 1) * f, f)) : nullptr);
      if (pool < static_cast<int>(Space::pool_layers.size()) && l == Space::pool_layers[static_cast<std::size_t>(pool)]) {
        for (int i = 0; i <= l + 1; ++i) {
          reductions[static_cast<std::size_t>(pool)].push_back(
              read_after(i, l + 1) ? this->register_module("pool" + std::to_string(pool) + "_from" + std::to_string(i),
                                                           FactorizedReduction(f, 2 * f))
                                   : nullptr);
        }
        f *= 2;
        ++pool;
      }
    }
    fc = this->register_parameter("fc", he_normal({options_.num_classes, f}, f));
  }

  /// Logits. `progress` (the run's fraction done) is the fixed image models' common signature;
  /// the macro network has no schedule that reads it.
  ImageForward forward(const at::Tensor& images, double /*progress*/ = 1.0) {
    ReducedOnDemand layers([this](int pool, std::size_t i, const at::Tensor& x) {
      return reductions[static_cast<std::size_t>(pool)][i]->forward(x);
    });
    layers.push(stem_norm->forward(stem->forward(images)));
    at::Tensor out;
    for (int l = 0; l < kLayers; ++l) {
      out = layer_ops[static_cast<std::size_t>(l)]->forward(layers.get(static_cast<std::size_t>(l)));
      if (l > 0) {
        std::vector<at::Tensor> parts;
        for (int i = 0; i < l; ++i) {
          if (arch_.skip[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)]) parts.push_back(layers.get(static_cast<std::size_t>(i)));
        }
        parts.push_back(out);
        out = skip_projections[static_cast<std::size_t>(l)]->forward(at::cat(parts, 1));
      }
      layers.push(out);
      if (std::find(Space::pool_layers.begin(), Space::pool_layers.end(), l) != Space::pool_layers.end()) layers.pool();
    }
    return {detail::classify(global_avg_pool(out), fc, options_.keep_prob, this->is_training()), at::Tensor()};
  }
  /// The progress as a 0-dim tensor (the graphed final step's form); ignored as well.
  ImageForward forward(const at::Tensor& images, const at::Tensor& /*progress*/) { return forward(images); }

  const Arch& arch() const { return arch_; }
  const ImageModelOptions& options() const { return options_; }

  SameConv stem = nullptr;
  Norm stem_norm = nullptr;
  std::vector<MacroFixedOp> layer_ops;
  std::vector<ReluConvNorm> skip_projections;
  std::vector<std::vector<FactorizedReduction>> reductions;  ///< null where no later layer reads it
  at::Tensor fc;

 private:
  Arch arch_;
  ImageModelOptions options_;
};

template <class Space>
class MacroFixedModel : public torch::nn::ModuleHolder<MacroFixedModelImpl<Space>> {
 public:
  using torch::nn::ModuleHolder<MacroFixedModelImpl<Space>>::ModuleHolder;
  using Impl = MacroFixedModelImpl<Space>;
};

}  // namespace enas::nn

#endif  // ENAS_NN_MACRO_MODELS_HPP
