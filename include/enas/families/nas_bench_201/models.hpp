/// @file
/// @brief The NAS-Bench-201 networks: the shared (search) network holding weights per (edge, op)
/// and the fixed network of one cell, both the benchmark's skeleton (stem, three stages of N cells
/// at C, 2C, 4C channels, residual reduction blocks between them, BN-ReLU, pooling, classifier).
///
/// The benchmark is a PyTorch code base, so these follow PyTorch's conventions rather than TF's:
/// symmetric padding, batch norm with epsilon 1e-5 and momentum 0.1, and PyTorch's default init
/// (uniform ±1/√fan_in for convolutions and the classifier).
#ifndef ENAS_FAMILIES_NAS_BENCH_201_MODELS_HPP
#define ENAS_FAMILIES_NAS_BENCH_201_MODELS_HPP

#include <ATen/ATen.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "enas/core/concepts.hpp"
#include "enas/core/error.hpp"
#include "enas/families/nas_bench_201/space.hpp"
#include "enas/nn/image_model.hpp"
#include "enas/nn/image_ops.hpp"
#include "enas/nn/replicas.hpp"
#include "enas/nn/synced_norm.hpp"

namespace enas::nas_bench_201 {

/// Sizes of a NAS-Bench-201 network.
struct ModelOptions {
  std::int64_t channels = 16;        ///< C, the first stage's width (--child_out_filters)
  std::int64_t cells_per_stage = 5;  ///< N (--child_num_layers)
  std::int64_t num_classes = 10;

  void validate() const {
    if (channels < 1) throw ConfigError("--child_out_filters (NAS-Bench-201: C) must be >= 1, got " + std::to_string(channels));
    if (cells_per_stage < 1) {
      throw ConfigError("--child_num_layers (NAS-Bench-201: cells per stage N) must be >= 1, got " +
                        std::to_string(cells_per_stage));
    }
  }
};

namespace detail {

/// PyTorch's default init of a weight with `fan_in` inputs: uniform ±1/√fan_in.
inline at::Tensor torch_default_init(std::vector<std::int64_t> shape, std::int64_t fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return at::empty(shape).uniform_(-bound, bound);
}

}  // namespace detail

/// Batch norm as torch.nn.BatchNorm2d: optional affine parameters, optional moving statistics
/// (without them it always normalises with the batch's).
class BatchNormImpl : public torch::nn::Cloneable<BatchNormImpl> {
 public:
  BatchNormImpl(std::int64_t channels, bool affine, bool track) : channels_(channels), affine_(affine), track_(track) { reset(); }
  void reset() override {
    if (affine_) {
      weight = register_parameter("weight", at::ones({channels_}));
      bias = register_parameter("bias", at::zeros({channels_}));
    }
    if (track_) {
      running_mean = register_buffer("running_mean", at::zeros({channels_}));
      running_var = register_buffer("running_var", at::ones({channels_}));
    }
  }
  at::Tensor forward(const at::Tensor& x) {
    const bool batch_stats = is_training() || !track_;
    // In a data-parallel training pass with synchronised batch norm: the whole batch's statistics.
    if (const auto* sync = nn::current_replica().sync; batch_stats && sync != nullptr) {
      return nn::synced_batch_norm(x, weight, bias, running_mean, running_var, 0.1, 1e-5, *sync);
    }
    return at::batch_norm(x, weight, bias, running_mean, running_var, batch_stats, 0.1, 1e-5, true);
  }

  at::Tensor weight, bias, running_mean, running_var;

 private:
  std::int64_t channels_;
  bool affine_, track_;
};
TORCH_MODULE(BatchNorm);

/// ReLU → K×K convolution (no bias, padding K/2) → batch norm: `nor_conv_KxK`, and the halves of
/// the residual reduction block.
class ReluConvBnImpl : public torch::nn::Cloneable<ReluConvBnImpl> {
 public:
  ReluConvBnImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride, bool affine, bool track)
      : in_(in), out_(out), kernel_(kernel), stride_(stride), affine_(affine), track_(track) {
    reset();
  }
  void reset() override {
    weight = register_parameter("weight", detail::torch_default_init({out_, in_, kernel_, kernel_}, in_ * kernel_ * kernel_));
    norm = register_module("norm", BatchNorm(out_, affine_, track_));
  }
  at::Tensor forward(const at::Tensor& x) {
    const auto y = at::conv2d(at::relu(x), weight, {}, {stride_, stride_}, {kernel_ / 2, kernel_ / 2});
    return norm->forward(y);
  }

  at::Tensor weight;
  BatchNorm norm = nullptr;

 private:
  std::int64_t in_, out_, kernel_, stride_;
  bool affine_, track_;
};
TORCH_MODULE(ReluConvBn);

/// The residual block between stages: ReLU-conv3×3(stride 2)-BN, ReLU-conv3×3-BN, plus a shortcut
/// of 2×2 average pooling and a 1×1 convolution; halves the resolution, doubles the width.
class ResidualReductionImpl : public torch::nn::Cloneable<ResidualReductionImpl> {
 public:
  ResidualReductionImpl(std::int64_t in, std::int64_t out) : in_(in), out_(out) { reset(); }
  void reset() override {
    conv_a = register_module("conv_a", ReluConvBn(in_, out_, 3, 2, true, true));
    conv_b = register_module("conv_b", ReluConvBn(out_, out_, 3, 1, true, true));
    shortcut = register_parameter("shortcut", detail::torch_default_init({out_, in_, 1, 1}, in_));
  }
  at::Tensor forward(const at::Tensor& x) {
    const auto residual = at::conv2d(at::avg_pool2d(x, {2, 2}, {2, 2}), shortcut);
    return residual + conv_b->forward(conv_a->forward(x));
  }

  ReluConvBn conv_a = nullptr, conv_b = nullptr;
  at::Tensor shortcut;

 private:
  std::int64_t in_, out_;
};
TORCH_MODULE(ResidualReduction);

namespace detail {

/// (kind, kernel) of every op id of a space.
template <class Space>
const auto& edge_op_table() {
  static const auto table = make_type_table(typename Space::op_list{}, [](auto tag) {
    using Op = typename decltype(tag)::type;
    return std::pair<EdgeOpKind, int>{Op::kind, Op::kernel};
  });
  return table;
}

/// 3×3 average pooling, stride 1, padding excluded from the average.
inline at::Tensor avg_pool3(const at::Tensor& x) { return at::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, false, false); }

/// Cell widths of the three stages: C, 2C, 4C.
inline std::array<std::int64_t, 3> stage_widths(const ModelOptions& o) { return {o.channels, 2 * o.channels, 4 * o.channels}; }

/// What every NAS-Bench-201 network has around its cells: the 3×3 stem with BN, the residual
/// reductions between the stages, and the head (BN, ReLU, global pooling, linear classifier),
/// registered into the owning module.
struct Skeleton {
  at::Tensor stem, fc, fc_bias;
  BatchNorm stem_norm = nullptr, head_norm = nullptr;
  std::vector<ResidualReduction> reductions;

  void build(torch::nn::Module& owner, const ModelOptions& o) {
    const auto w = stage_widths(o);
    stem = owner.register_parameter("stem", torch_default_init({w[0], 3, 3, 3}, 27));
    stem_norm = owner.register_module("stem_norm", BatchNorm(w[0], true, true));
    reductions.clear();
    for (std::size_t stage = 1; stage < 3; ++stage) {
      reductions.push_back(owner.register_module("reduction_" + std::to_string(stage), ResidualReduction(w[stage - 1], w[stage])));
    }
    head_norm = owner.register_module("head_norm", BatchNorm(w[2], true, true));
    fc = owner.register_parameter("fc", torch_default_init({o.num_classes, w[2]}, w[2]));
    fc_bias = owner.register_parameter("fc_bias", torch_default_init({o.num_classes}, w[2]));
  }

  /// The logits of `images`; `cell(stage, index, x)` runs cell `index` of `stage`.
  template <class Cell>
  nn::ImageForward run(const at::Tensor& images, std::int64_t cells_per_stage, Cell&& cell) {
    auto x = stem_norm->forward(at::conv2d(images, stem, {}, {1, 1}, {1, 1}));
    for (std::size_t stage = 0; stage < 3; ++stage) {
      if (stage > 0) x = reductions[stage - 1]->forward(x);
      for (std::int64_t c = 0; c < cells_per_stage; ++c) x = cell(stage, c, x);
    }
    nn::ImageForward out;
    out.logits = at::addmm(fc_bias, nn::global_avg_pool(at::relu(head_norm->forward(x))), fc.t());
    return out;
  }
};

/// One cell of `arch` on `x`: node j = Σ_{i<j} op_{i→j}(node i), the last node out. `conv(edge,
/// op, input)` runs a convolution op; `none` edges are skipped (a node without inputs is zero).
template <class Space, class Conv>
at::Tensor cell_forward(const typename Space::Arch& arch, const at::Tensor& x, Conv&& conv) {
  const auto& table = edge_op_table<Space>();
  std::vector<at::Tensor> nodes{x};
  for (int to = 1; to < Space::num_nodes; ++to) {
    at::Tensor sum;
    for (int from = 0; from < to; ++from) {
      const int e = Space::edge_index(from, to);
      const int op = arch.ops[static_cast<std::size_t>(e)];
      const auto& in = nodes[static_cast<std::size_t>(from)];
      at::Tensor y;
      switch (table[static_cast<std::size_t>(op)].first) {
        case EdgeOpKind::kZero: break;
        case EdgeOpKind::kSkip: y = in; break;
        case EdgeOpKind::kNorConv: y = conv(e, op, in); break;
        case EdgeOpKind::kAvgPool: y = avg_pool3(in); break;
      }
      if (y.defined()) sum = sum.defined() ? sum + y : y;
    }
    nodes.push_back(sum.defined() ? sum : at::zeros_like(x));
  }
  return nodes.back();
}

/// One ReLU-conv-BN per (stage, cell, slot) registered into `owner` where `kernel_of(slot)` is a
/// convolution's kernel, an empty holder where it is 0; `slots` per cell, named `suffix(slot)`.
template <class KernelOf, class Suffix>
std::vector<ReluConvBn> build_cell_convs(torch::nn::Module& owner, const ModelOptions& o, int slots, bool shared,
                                         KernelOf&& kernel_of, Suffix&& suffix) {
  const auto w = stage_widths(o);
  std::vector<ReluConvBn> convs;
  for (std::size_t stage = 0; stage < 3; ++stage) {
    for (std::int64_t cell = 0; cell < o.cells_per_stage; ++cell) {
      for (int slot = 0; slot < slots; ++slot) {
        const int kernel = kernel_of(slot);
        convs.push_back(kernel == 0 ? ReluConvBn(nullptr)
                                    : owner.register_module("stage" + std::to_string(stage) + "_cell" + std::to_string(cell) +
                                                                suffix(slot),
                                                            ReluConvBn(w[stage], w[stage], kernel, 1, !shared, !shared)));
      }
    }
  }
  return convs;
}

}  // namespace detail


/// The fixed network of one cell (the benchmark's TinyNetwork with its InferCell): every edge's
/// op has its own weights, affine batch norm with moving statistics; `none` edges compute nothing.
///
/// @tparam Space a CellDag space
template <class Space>
class FixedModelImpl : public torch::nn::Cloneable<FixedModelImpl<Space>> {
  ENAS_ASSERT_SEARCH_SPACE("enas::nas_bench_201::FixedModel", Space);

 public:
  using Arch = typename Space::Arch;
  using Options = ModelOptions;

  FixedModelImpl(const Arch& arch, ModelOptions options) : arch_(arch), options_(options) {
    options_.validate();
    reset();
  }

  void reset() override {
    skeleton.build(*this, options_);
    const auto& table = detail::edge_op_table<Space>();
    convs = detail::build_cell_convs(
        *this, options_, Space::num_edges, /*shared=*/false,
        [&](int e) {
          const auto [kind, kernel] = table[static_cast<std::size_t>(arch_.ops[static_cast<std::size_t>(e)])];
          return kind == EdgeOpKind::kNorConv ? kernel : 0;
        },
        [](int e) { return "_edge" + std::to_string(e); });
  }

  /// Logits. `progress` is the fixed image models' common signature; nothing here reads it.
  nn::ImageForward forward(const at::Tensor& images, double /*progress*/ = 1.0) {
    return skeleton.run(images, options_.cells_per_stage, [&](std::size_t stage, std::int64_t cell, const at::Tensor& x) {
      const auto base = (stage * static_cast<std::size_t>(options_.cells_per_stage) + static_cast<std::size_t>(cell)) *
                        static_cast<std::size_t>(Space::num_edges);
      return detail::cell_forward<Space>(arch_, x, [&](int edge, int /*op*/, const at::Tensor& in) {
        return convs[base + static_cast<std::size_t>(edge)]->forward(in);
      });
    });
  }
  /// The progress as a 0-dim tensor (the graphed final step's form); ignored as well.
  nn::ImageForward forward(const at::Tensor& images, const at::Tensor& /*progress*/) { return forward(images); }

  const Arch& arch() const { return arch_; }
  const ModelOptions& options() const { return options_; }

  detail::Skeleton skeleton;
  std::vector<ReluConvBn> convs;  // per (stage, cell, edge); empty holders where the op has no weights

 private:
  Arch arch_;
  ModelOptions options_;
};

/// Module holder of FixedModelImpl.
template <class Space>
class FixedModel : public torch::nn::ModuleHolder<FixedModelImpl<Space>> {
 public:
  using torch::nn::ModuleHolder<FixedModelImpl<Space>>::ModuleHolder;
  using Impl = FixedModelImpl<Space>;
};

/// The shared network of the search: every (stage, cell, edge) holds one ReLU-conv-BN per
/// convolution op of the space; a step computes only the sampled op of each edge, so only its
/// weights get gradients. The cells' batch norms have no affine parameters and always use batch
/// statistics, as the benchmark's search cells and ENAS's search models do (one set of moving
/// statistics cannot describe every architecture); the stem, the reductions and the head keep
/// theirs, as in the benchmark's search network.
///
/// @tparam Space a CellDag space
template <class Space>
class SharedModelImpl : public torch::nn::Cloneable<SharedModelImpl<Space>> {
  ENAS_ASSERT_SEARCH_SPACE("enas::nas_bench_201::SharedModel", Space);

 public:
  using Arch = typename Space::Arch;
  using Options = ModelOptions;

  explicit SharedModelImpl(ModelOptions options = {}) : options_(options) {
    options_.validate();
    reset();
  }

  void reset() override {
    skeleton.build(*this, options_);
    const auto& table = detail::edge_op_table<Space>();
    convs = detail::build_cell_convs(
        *this, options_, Space::num_edges * Space::num_ops, /*shared=*/true,
        [&](int slot) {
          const auto [kind, kernel] = table[static_cast<std::size_t>(slot % Space::num_ops)];
          return kind == EdgeOpKind::kNorConv ? kernel : 0;
        },
        [](int slot) { return "_edge" + std::to_string(slot / Space::num_ops) + "_op" + std::to_string(slot % Space::num_ops); });
  }

  /// Logits of `arch`. In training mode (train()) the stem, the reductions and the head use batch
  /// statistics and update their moving ones; in evaluation mode (eval()) they use the moving ones.
  nn::ImageForward forward(const at::Tensor& images, const Arch& arch) {
    return skeleton.run(images, options_.cells_per_stage, [&](std::size_t stage, std::int64_t cell, const at::Tensor& x) {
      const auto base = (stage * static_cast<std::size_t>(options_.cells_per_stage) + static_cast<std::size_t>(cell)) *
                        static_cast<std::size_t>(Space::num_edges * Space::num_ops);
      return detail::cell_forward<Space>(arch, x, [&](int edge, int op, const at::Tensor& in) {
        return convs[base + static_cast<std::size_t>(edge * Space::num_ops + op)]->forward(in);
      });
    });
  }

  const ModelOptions& options() const { return options_; }

  detail::Skeleton skeleton;
  std::vector<ReluConvBn> convs;  // per (stage, cell, edge, op); empty holders for ops without weights

 private:
  ModelOptions options_;
};

/// Module holder of SharedModelImpl.
template <class Space>
class SharedModel : public torch::nn::ModuleHolder<SharedModelImpl<Space>> {
 public:
  using torch::nn::ModuleHolder<SharedModelImpl<Space>>::ModuleHolder;
  using Impl = SharedModelImpl<Space>;
};

}  // namespace enas::nas_bench_201

#endif  // ENAS_FAMILIES_NAS_BENCH_201_MODELS_HPP
