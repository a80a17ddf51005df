/// @file
/// @brief The CIFAR-10 micro models: the shared (search) network of cells whose weights are held
/// per (node, slot, input, op), and the fixed network of one pair of cells with drop-path and
/// the auxiliary head (enas-reference.md §5).
#ifndef ENAS_NN_MICRO_MODELS_HPP
#define ENAS_NN_MICRO_MODELS_HPP

#include <ATen/ATen.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "enas/core/concepts.hpp"
#include "enas/core/error.hpp"
#include "enas/core/ops.hpp"
#include "enas/nn/image_model.hpp"
#include "enas/nn/image_ops.hpp"
#include "enas/nn/micro_ops.hpp"
#include "enas/nn/replicas.hpp"

namespace enas::nn {

/// Layout and regularisation of a micro network.
struct MicroModelOptions {
  ImageModelOptions image;          ///< F (child_out_filters), dropout keep, classes
  std::int64_t num_layers = 6;      ///< child_num_layers L: L normal cells + 2 reduction cells
  bool use_aux_head = true;         ///< child_use_aux_heads: auxiliary classifier after the 2nd reduction
  double drop_path_keep = 1.0;      ///< child_drop_path_keep_prob (fixed model only; 1 = off)

  /// Cells that reduce: L/3 and 2·(L/3) + 1.
  std::array<std::int64_t, 2> pool_layers() const { return {num_layers / 3, 2 * (num_layers / 3) + 1}; }
  /// Where the auxiliary head reads: the cell after the last reduction.
  std::int64_t aux_layer() const { return pool_layers()[1] + 1; }

  void validate() const {
    image.validate();
    if (num_layers < 3) throw ConfigError("--child_num_layers must be at least 3 for the micro space");
    if (!(drop_path_keep > 0.0 && drop_path_keep <= 1.0)) throw ConfigError("--child_drop_path_keep_prob must lie in (0, 1]");
  }
};

namespace detail {

/// Width and resolution of a tensor flowing between cells.
struct Shape {
  std::int64_t channels = 0;
  std::int64_t resolution = 0;
};

}  // namespace detail

/// The micro search network (§5.1, §5.2): stem to 3F, L + 2 cells (reductions at L/3 and
/// 2L/3 + 1, F doubling there), an auxiliary head, global pooling, dropout, a classifier. A cell
/// calibrates its two inputs (h_{i−2}, h_{i−1}) to F channels at its resolution — a reduction cell
/// reduces both (§0: the TF code fed it h_{i−1} twice) — computes its nodes, and projects the
/// concatenation of its unused nodes back to F with ReLU, 1×1 conv, BN. The weights of a node's
/// op exist per (node, slot, input, op), so that only the sampled ones are computed and trained.
/// Batch norm always uses batch statistics, and dropout is on in every pass, as in the reference's
/// micro search (§5.1: `is_training` forced to true).
///
/// @tparam Space a Micro space (enas::spaces::Micro<Nodes, Ops...>)
template <class Space>
class MicroSharedModelImpl : public torch::nn::Cloneable<MicroSharedModelImpl<Space>> {
  ENAS_ASSERT_SEARCH_SPACE("enas::nn::MicroSharedModel", Space);

 public:
  using Arch = typename Space::Arch;
  using Options = MicroModelOptions;
  static constexpr int kNodes = Space::num_nodes;
  static constexpr int kOps = Space::num_ops;

  explicit MicroSharedModelImpl(MicroModelOptions options = {}) : options_(options) {
    options_.validate();
    reset();
  }

  void reset() override {
    const auto& table = detail::op_table<typename Space::op_list>();
    calibrate0.clear();
    calibrate1.clear();
    slot_ops.clear();
    final_weights.clear();
    final_norms.clear();
    const auto f0 = options_.image.out_filters;
    stem = this->register_module("stem", SameConv(3, 3 * f0, 3));
    stem_norm = this->register_module("stem_norm", Norm(3 * f0, 1e-5, 0.9, false));
    detail::Shape prev_prev{3 * f0, 32}, prev{3 * f0, 32};
    std::int64_t f = f0;
    const auto pools = options_.pool_layers();
    for (std::int64_t l = 0; l < options_.num_layers + 2; ++l) {
      const bool reduce = l == pools[0] || l == pools[1];
      if (reduce) f *= 2;
      const auto res = reduce ? prev.resolution / 2 : prev.resolution;
      const auto id = "cell" + std::to_string(l);
      calibrate0.push_back(this->register_module(id + "_in0", Calibrate(prev_prev.channels, prev_prev.resolution, f, res, false)));
      calibrate1.push_back(this->register_module(id + "_in1", Calibrate(prev.channels, prev.resolution, f, res, false)));
      for (int node = 2; node < kNodes + 2; ++node) {
        for (int slot = 0; slot < 2; ++slot) {
          for (int input = 0; input < node; ++input) {
            for (int op = 0; op < kOps; ++op) {
              const auto [kind, kernel] = table[static_cast<std::size_t>(op)];
              const bool weighted = kind == ops::OpKind::kSepConv || kind == ops::OpKind::kConv;
              slot_ops.push_back(weighted ? this->register_module(id + "_n" + std::to_string(node) + "s" + std::to_string(slot) +
                                                                      "i" + std::to_string(input) + "o" + std::to_string(op),
                                                                  CellOp(kind, kernel, f, 1, false))
                                          : CellOp(kind, kernel, f, 1, false));
            }
          }
        }
      }
      for (int node = 0; node < kNodes + 2; ++node) {
        final_weights.push_back(this->register_parameter(id + "_out" + std::to_string(node), he_normal({f, f, 1, 1}, f)));
      }
      final_norms.push_back(this->register_module(id + "_out_norm", Norm(f, 1e-5, 0.9, false)));
      prev_prev = prev;
      prev = {f, res};
      if (options_.use_aux_head && l == options_.aux_layer()) {
        aux = this->register_module("aux", AuxHead(f, res, options_.image.num_classes));
      }
    }
    fc = this->register_parameter("fc", he_normal({options_.image.num_classes, f}, f));
  }

  /// Logits (and auxiliary logits in training mode, train(), when the head exists) of `arch`.
  ImageForward forward(const at::Tensor& images, const Arch& arch) {
    const auto x0 = stem_norm->forward(stem->forward(images));
    at::Tensor h_prev_prev = x0, h_prev = x0;
    ImageForward result;
    const auto pools = options_.pool_layers();
    for (std::int64_t l = 0; l < options_.num_layers + 2; ++l) {
      const bool reduce = l == pools[0] || l == pools[1];
      auto out = cell(l, arch.cells[reduce ? 1 : 0], arch.unused(reduce ? 1 : 0), h_prev_prev, h_prev);
      h_prev_prev = h_prev;
      h_prev = out;
      if (this->is_training() && !aux.is_empty() && l == options_.aux_layer()) result.aux_logits = aux->forward(out);
    }
    // Dropout runs in every pass of the micro search network (the reference forces is_training).
    result.logits = detail::classify(global_avg_pool(at::relu(h_prev)), fc, options_.image.keep_prob, true);
    return result;
  }

  const MicroModelOptions& options() const { return options_; }

  SameConv stem = nullptr;
  Norm stem_norm = nullptr;
  std::vector<Calibrate> calibrate0, calibrate1;
  std::vector<CellOp> slot_ops;            ///< per cell, node, slot, input, op (see slot_index)
  std::vector<at::Tensor> final_weights;   ///< per cell, node id: [F, F, 1, 1]
  std::vector<Norm> final_norms;
  AuxHead aux = nullptr;
  at::Tensor fc;

  /// Index into slot_ops of (cell l, node, slot, input, op).
  static std::size_t slot_index(std::int64_t l, int node, int slot, int input, int op) {
    // Per node k: 2 slots × k inputs × ops; nodes 2..N+1 before it: Σ_{j<k} 2·j·ops.
    constexpr int per_cell = 2 * kOps * ((kNodes + 2) * (kNodes + 1) / 2 - 1);
    const int before = 2 * kOps * (node * (node - 1) / 2 - 1);
    return static_cast<std::size_t>(l * per_cell + before + (slot * node + input) * kOps + op);
  }

 private:
  at::Tensor cell(std::int64_t l, const typename Space::Cell& spec, const std::vector<int>& unused,
                  const at::Tensor& in0, const at::Tensor& in1) {
    std::vector<at::Tensor> nodes{calibrate0[static_cast<std::size_t>(l)]->forward(in0),
                                  calibrate1[static_cast<std::size_t>(l)]->forward(in1)};
    for (int k = 0; k < kNodes; ++k) {
      const auto& n = spec[static_cast<std::size_t>(k)];
      const int node = k + 2;
      const auto x = slot_ops[slot_index(l, node, 0, n.x_id, n.x_op)]->forward(nodes[static_cast<std::size_t>(n.x_id)]);
      const auto y = slot_ops[slot_index(l, node, 1, n.y_id, n.y_op)]->forward(nodes[static_cast<std::size_t>(n.y_id)]);
      nodes.push_back(x + y);
    }
    std::vector<at::Tensor> outs, weights;
    for (int i : unused) {
      outs.push_back(nodes[static_cast<std::size_t>(i)]);
      weights.push_back(final_weights[static_cast<std::size_t>(l * (kNodes + 2) + i)]);
    }
    const auto w = weights.size() == 1 ? weights[0] : at::cat(weights, 1);
    return final_norms[static_cast<std::size_t>(l)]->forward(same_conv2d(at::relu(at::cat(outs, 1)), w, 1));
  }

  MicroModelOptions options_;
};

template <class Space>
class MicroSharedModel : public torch::nn::ModuleHolder<MicroSharedModelImpl<Space>> {
 public:
  using torch::nn::ModuleHolder<MicroSharedModelImpl<Space>>::ModuleHolder;
  using Impl = MicroSharedModelImpl<Space>;
};

/// The micro network of one architecture, trained from scratch (§5.3): calibration and a
/// ReLU-1×1-BN base on input 1, ops with stride 2 on the cell inputs of reduction cells,
/// drop-path on non-identity ops (schedule §5.6), output = concatenation of the unused nodes
/// (reduced where they have twice the resolution), auxiliary head, classifier.
template <class Space>
class MicroFixedModelImpl : public torch::nn::Cloneable<MicroFixedModelImpl<Space>> {
  ENAS_ASSERT_SEARCH_SPACE("enas::nn::MicroFixedModel", Space);

 public:
  using Arch = typename Space::Arch;
  using Options = MicroModelOptions;
  static constexpr int kNodes = Space::num_nodes;

  MicroFixedModelImpl(const Arch& arch, MicroModelOptions options) : arch_(arch), options_(options) {
    options_.validate();
    reset();
  }

  void reset() override {
    const auto& table = detail::op_table<typename Space::op_list>();
    cells_.clear();
    const auto f0 = options_.image.out_filters;
    stem = this->register_module("stem", SameConv(3, 3 * f0, 3));
    stem_norm = this->register_module("stem_norm", Norm(3 * f0));
    detail::Shape prev_prev{3 * f0, 32}, prev{3 * f0, 32};
    std::int64_t f = f0;
    const auto pools = options_.pool_layers();
    for (std::int64_t l = 0; l < options_.num_layers + 2; ++l) {
      const bool reduce = l == pools[0] || l == pools[1];
      if (reduce) f *= 2;
      const int c = reduce ? 1 : 0;
      const auto id = "cell" + std::to_string(l);
      CellModules m;
      m.reduce = reduce;
      m.calibrate0 = this->register_module(
          id + "_in0", Calibrate(prev_prev.channels, prev_prev.resolution, f, prev.resolution, true));
      if (prev.channels != f) m.calibrate1 = this->register_module(id + "_in1", ReluConvNorm(prev.channels, f));
      m.base = this->register_module(id + "_base", ReluConvNorm(f, f));
      // Resolutions of the nodes: inputs at the incoming resolution, computed nodes at the output's.
      const auto out_res = reduce ? prev.resolution / 2 : prev.resolution;
      std::vector<std::int64_t> res{prev.resolution, prev.resolution};
      for (int k = 0; k < kNodes; ++k) {
        const auto& n = arch_.cells[static_cast<std::size_t>(c)][static_cast<std::size_t>(k)];
        const auto nid = id + "_n" + std::to_string(k + 2);
        for (int slot = 0; slot < 2; ++slot) {
          const int input = slot == 0 ? n.x_id : n.y_id;
          const int op = slot == 0 ? n.x_op : n.y_op;
          const auto [kind, kernel] = table.at(static_cast<std::size_t>(op));
          const std::int64_t stride = res[static_cast<std::size_t>(input)] != out_res ? 2 : 1;
          m.ops.push_back(this->register_module(nid + (slot == 0 ? "x" : "y"), CellOp(kind, kernel, f, stride, true)));
        }
        res.push_back(out_res);
      }
      m.unused = arch_.unused(c);
      for (int i : m.unused) {
        m.out_reduce.push_back(res[static_cast<std::size_t>(i)] != out_res
                                   ? this->register_module(id + "_out" + std::to_string(i), FactorizedReduction(f, f))
                                   : nullptr);
      }
      cells_.push_back(std::move(m));
      prev_prev = prev;
      prev = {f * static_cast<std::int64_t>(cells_.back().unused.size()), out_res};
      if (options_.use_aux_head && l == options_.aux_layer()) {
        aux = this->register_module("aux", AuxHead(prev.channels, prev.resolution, options_.image.num_classes));
      }
    }
    fc = this->register_parameter("fc", he_normal({options_.image.num_classes, prev.channels}, prev.channels));
  }

  /// Logits (and auxiliary logits in training). `progress` = min(1, (step + 1) / total steps)
  /// ramps drop-path in (§5.6); it has no effect outside training.
  ImageForward forward(const at::Tensor& images, double progress = 1.0) {
    return forward(images, at::full({}, progress, images.options().dtype(at::kFloat)));
  }
  /// The same with the progress as a 0-dim float tensor on the images' device: a step recorded
  /// once (a CUDA graph) reads a new value at every replay.
  ImageForward forward(const at::Tensor& images, const at::Tensor& progress) {
    const auto x0 = stem_norm->forward(stem->forward(images));
    at::Tensor h_prev_prev = x0, h_prev = x0;
    ImageForward result;
    for (std::size_t l = 0; l < cells_.size(); ++l) {
      const auto keep = this->is_training() ? drop_path_keep(static_cast<std::int64_t>(l), progress) : at::Tensor();
      auto out = cell(l, h_prev_prev, h_prev, keep);
      h_prev_prev = h_prev;
      h_prev = out;
      if (this->is_training() && !aux.is_empty() && static_cast<std::int64_t>(l) == options_.aux_layer()) result.aux_logits = aux->forward(out);
    }
    result.logits = detail::classify(global_avg_pool(at::relu(h_prev)), fc, options_.image.keep_prob, this->is_training());
    return result;
  }

  /// Keep probability of drop-path in cell l at training progress p ∈ [0, 1] (§5.6):
  /// 1 − p·(1 − k_l) with k_l = 1 − (l + 1)/(L + 2)·(1 − keep).
  double drop_path_keep(std::int64_t l, double progress) const {
    return 1.0 - std::min(1.0, progress) * (1.0 - layer_keep(l));
  }
  /// The same on a progress tensor; undefined when drop-path is off (keep 1).
  at::Tensor drop_path_keep(std::int64_t l, const at::Tensor& progress) const {
    if (layer_keep(l) >= 1.0) return at::Tensor();
    return 1.0 - progress.clamp_max(1.0) * (1.0 - layer_keep(l));
  }

  const Arch& arch() const { return arch_; }
  const MicroModelOptions& options() const { return options_; }

  SameConv stem = nullptr;
  Norm stem_norm = nullptr;
  AuxHead aux = nullptr;
  at::Tensor fc;

 private:
  struct CellModules {
    bool reduce = false;
    Calibrate calibrate0 = nullptr;
    ReluConvNorm calibrate1 = nullptr;  // null when input 1 already has F channels
    ReluConvNorm base = nullptr;
    std::vector<CellOp> ops;  // x, y per node
    std::vector<int> unused;
    std::vector<FactorizedReduction> out_reduce;  // per unused node; null when at the output resolution
  };

  double layer_keep(std::int64_t l) const {
    return 1.0 - static_cast<double>(l + 1) / static_cast<double>(options_.num_layers + 2) * (1.0 - options_.drop_path_keep);
  }

  /// Each example's path survives with probability `keep` (a 0-dim tensor; undefined: always)
  /// and is scaled by 1/keep.
  static at::Tensor drop_path(const at::Tensor& x, const at::Tensor& keep) {
    if (!keep.defined()) return x;
    // Drawn for the whole batch and cut to this replica's rows in a data-parallel step.
    auto mask = own_rows(x.size(0), [&](std::int64_t rows) {
      const std::vector<std::int64_t> per_example{rows, 1, 1, 1};
      return at::empty(per_example, keep.options()).bernoulli_(keep.expand(per_example));
    });
    return x * mask.div_(keep).to(x.scalar_type());
  }

  at::Tensor cell(std::size_t l, const at::Tensor& in0, const at::Tensor& in1, const at::Tensor& keep) {
    auto& m = cells_[l];
    const int c = m.reduce ? 1 : 0;
    auto x1 = m.calibrate1.is_empty() ? in1 : m.calibrate1->forward(in1);
    std::vector<at::Tensor> nodes{m.calibrate0->forward(in0), m.base->forward(x1)};
    for (int k = 0; k < kNodes; ++k) {
      const auto& n = arch_.cells[static_cast<std::size_t>(c)][static_cast<std::size_t>(k)];
      auto branch = [&](int slot, int input) {
        auto& op = m.ops[static_cast<std::size_t>(2 * k + slot)];
        auto y = op->forward(nodes[static_cast<std::size_t>(input)]);
        return op->is_identity() ? y : drop_path(y, keep);
      };
      nodes.push_back(branch(0, n.x_id) + branch(1, n.y_id));
    }
    std::vector<at::Tensor> outs;
    for (std::size_t u = 0; u < m.unused.size(); ++u) {
      const auto& node = nodes[static_cast<std::size_t>(m.unused[u])];
      outs.push_back(m.out_reduce[u].is_empty() ? node : m.out_reduce[u]->forward(node));
    }
    return at::cat(outs, 1);
  }

  Arch arch_;
  MicroModelOptions options_;
  std::vector<CellModules> cells_;
};

template <class Space>
class MicroFixedModel : public torch::nn::ModuleHolder<MicroFixedModelImpl<Space>> {
 public:
  using torch::nn::ModuleHolder<MicroFixedModelImpl<Space>>::ModuleHolder;
  using Impl = MicroFixedModelImpl<Space>;
};

}  // namespace enas::nn

#endif  // ENAS_NN_MICRO_MODELS_HPP
