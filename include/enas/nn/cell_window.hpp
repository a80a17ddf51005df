/// @file
/// @brief The PTB cell run over a whole BPTT window as one autograd node, with hand-written
/// backpropagation through time.
///
/// The cell (§3.1) at time t, with masks m_h (variational, one per window):
///   node 0:  [h | c] = x_proj[t] + (s_{t-1} ⊙ m_h)·W_s ;  n_0 = s_{t-1} + σ(c) ⊙ (f_0(h) − s_{t-1})
///   node i:  [h | c] = (n_j ⊙ m_h)·W_i               ;  n_i = n_j + σ(c) ⊙ (f_i(h) − n_j),  j = pred(i)
///   s_t = mean of the loose ends
/// optionally with batch norm (search model) on every [h | c] and on s_t.
///
/// Why one node for the window: through plain autograd the cell is ~10 small operations per node
/// and time step, each recorded, each with its own backward closure. Here the forward writes into
/// preallocated buffers, the backward walks time in reverse with the same kernels, and the weight
/// gradients are one GEMM per node over all T·B rows instead of T small ones. The arithmetic is
/// the reference's; tests/test_cells.cpp compares values and gradients with plain autograd.
#ifndef ENAS_NN_CELL_WINDOW_HPP
#define ENAS_NN_CELL_WINDOW_HPP

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/LegacyTypeDispatch.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/nn/activation_kernels.hpp"
#include "enas/nn/replicas.hpp"

namespace enas::nn {

/// Which cell to run: per node its predecessor (-1 for node 0) and activation id, and the loose
/// ends whose mean is the output.
struct CellPlan {
  std::vector<std::int64_t> predecessor;
  std::vector<std::int64_t> activation;
  std::vector<std::int64_t> loose_ends;

  std::int64_t nodes() const { return static_cast<std::int64_t>(predecessor.size()); }
};

/// Batch norm of the search model (§3.1, ptb_ops.batch_norm): over the batch axis, biased
/// variance, epsilon 1.0, moving averages with decay 0.999 updated at every time step. Index i < N
/// is node i's [h | c] (width 2H); index N is the cell output (width H).
struct CellNorm {
  std::vector<at::Tensor> scale, offset;               // parameters
  std::vector<at::Tensor> running_mean, running_var;  // buffers
  double eps = 1.0;
  double decay = 0.999;
  /// Set: the batch statistics are those of the whole batch over every replica (the moving
  /// statistics then agree on every replica); null: this process's rows.
  std::shared_ptr<const CrossReplicaSum> cross_replica;
};

/// Everything the window needs besides the differentiable tensors.
struct CellWindowConfig {
  const CellPlan* plan = nullptr;
  const ActivationKernel* kernels = nullptr;  // table indexed by activation id
  std::int64_t num_kernels = 0;
  CellNorm* norm = nullptr;  // null: no batch norm (the fixed model)
  at::Tensor mask_h;         // [B, H] or undefined (no dropout)
  bool training = true;      // batch statistics (and moving-average updates) vs moving statistics
};

namespace detail {

/// Nodes grouped by the node they read. Every node of a group multiplies the same input, so the
/// group needs one GEMM against its members' weights side by side: fewer and wider GEMMs than
/// one per node (the seed cell has 11 nodes in 6 groups). Groups are listed by increasing
/// predecessor, which is a valid evaluation order (a predecessor precedes its readers).
/// Pre-activations are laid out [T, B, N·2H] with node 0 first and each group contiguous.
struct CellGroups {
  struct Group {
    std::int64_t source = 0;          // the node the members read
    std::vector<std::int64_t> nodes;  // members, increasing
    std::int64_t first_slot = 0;      // column block of the first member (in units of 2H)
  };
  std::vector<Group> groups;
  std::vector<std::int64_t> slot;  // node -> column block

  explicit CellGroups(const CellPlan& plan) {
    const auto n = plan.nodes();
    slot.assign(static_cast<std::size_t>(n), 0);
    std::int64_t next = 1;  // node 0 owns block 0
    for (std::int64_t p = 0; p < n; ++p) {
      Group g;
      g.source = p;
      g.first_slot = next;
      for (std::int64_t i = 1; i < n; ++i) {
        if (plan.predecessor[static_cast<std::size_t>(i)] == p) {
          g.nodes.push_back(i);
          slot[static_cast<std::size_t>(i)] = next++;
        }
      }
      if (!g.nodes.empty()) groups.push_back(std::move(g));
    }
  }

  /// The members' weights side by side, [H, k·2H], in slot order.
  at::Tensor weights(const Group& g, const std::vector<at::Tensor>& w_node) const {
    if (g.nodes.size() == 1) return w_node[static_cast<std::size_t>(g.nodes[0] - 1)];
    std::vector<at::Tensor> parts;
    for (auto i : g.nodes) parts.push_back(w_node[static_cast<std::size_t>(i - 1)]);
    return at::cat(parts, 1);
  }
};

/// What the backward pass needs from the forward pass.
struct CellTape {
  at::Tensor nodes;   // [N, T, B, H] outputs n_i
  at::Tensor pre;     // [T, B, N·2H] pre-activations after batch norm, CellGroups slots
  at::Tensor gate;    // [N, T, B, H] σ(c)
  std::vector<at::Tensor> act;  // N·T outputs f_i(h), index i·T + t
  at::Tensor states;  // [T+1, B, H]: states[t] = s_{t-1}
  // Batch norm only. Node-major, so that each node's block at a step is one contiguous run: the
  // forward pass writes, and the backward pass reads, these blocks straight after the GEMM that
  // feeds them, and a [B, 2H] block strided across a [T, B, N·2H] buffer (24 KB between rows at
  // H = 256) defeats the hardware prefetcher on both (measured step by step against the strided
  // layout: 1–12 ms of a 400–550 ms PTB search step).
  at::Tensor xhat;         // [N, T, B, 2H] normalized values of every node's [h | c]
  at::Tensor inv_std;      // [N, T, 2H]
  at::Tensor out_xhat;     // [T, B, H] of the cell output
  at::Tensor out_inv_std;  // [T, H]
};

inline void check_plan(const CellPlan& plan, std::int64_t num_kernels) {
  const auto n = plan.nodes();
  if (n < 1 || static_cast<std::int64_t>(plan.activation.size()) != n || plan.loose_ends.empty()) {
    throw ArcError("cell plan: needs one predecessor and one activation per node and at least one loose end");
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const auto p = plan.predecessor[static_cast<std::size_t>(i)];
    const auto a = plan.activation[static_cast<std::size_t>(i)];
    if ((i == 0 && p != -1) || (i > 0 && (p < 0 || p >= i)) || a < 0 || a >= num_kernels) {
      throw ArcError("cell plan: node " + std::to_string(i) + " has predecessor " + std::to_string(p) +
                     " and activation " + std::to_string(a) + "; allowed predecessor 0.." + std::to_string(i - 1) +
                     " and activation 0.." + std::to_string(num_kernels - 1));
    }
  }
}

/// Batch statistics of one window, kept per normalised quantity to update the moving averages
/// once per window (§3.1's per-step updates m <- d·m + (1−d)·μ_t, summed in closed form).
struct NormWindowStats {
  std::vector<std::vector<at::Tensor>> mean, var;  // [index][t]

  explicit NormWindowStats(std::size_t count) : mean(count), var(count) {}

  /// m_T = d^T·m_0 + (1−d)·Σ_t d^(T−1−t)·μ_t for every normalised quantity.
  void apply(CellNorm& norm) const {
    at::NoGradGuard no_grad;
    for (std::size_t i = 0; i < mean.size(); ++i) {
      const auto steps = static_cast<std::int64_t>(mean[i].size());
      if (steps == 0) continue;
      const auto opts = norm.running_mean[i].options();
      const auto weights = at::pow(norm.decay, at::arange(steps - 1, -1, -1, opts)).mul_(1.0 - norm.decay);
      const double keep = std::pow(norm.decay, static_cast<double>(steps));
      norm.running_mean[i].mul_(keep).add_(at::matmul(weights, at::stack(mean[i])));
      norm.running_var[i].mul_(keep).add_(at::matmul(weights, at::stack(var[i])));
    }
  }
};

/// The batch-norm arithmetic as plain loops over a [B, W] block whose columns are contiguous
/// (rows may be strided, as the node slots of the pre-activation buffer are), in two passes, the
/// statistics accumulated in T over the B rows (the 64 of a PTB batch: a float sum's rounding stays
/// near 1e-6 relative, and float accumulators let the column loops vectorise). On the CPU a node's
/// block is 64 × 512 floats: through ATen the same work is six operations, each paying its
/// dispatch and a pass over memory, and the column reduction over a strided view is ATen's slow
/// case (perf: the batch norm was most of the search step's time outside the matrix products).
/// Other devices and layouts use ATen.
struct HostBlock {
  /// Whether `x` (and the optional other blocks) suit the loops: CPU, float or double, one dtype,
  /// unit column stride, 2-D, and vectors contiguous.
  static bool fits(const at::Tensor& x, std::initializer_list<const at::Tensor*> blocks,
                   std::initializer_list<const at::Tensor*> vectors) {
    if (!x.is_cpu() || x.dim() != 2 || x.stride(1) != 1 || !(x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble)) {
      return false;
    }
    for (const auto* b : blocks) {
      if (b->defined() && (!b->is_cpu() || b->scalar_type() != x.scalar_type() || b->dim() != 2 || b->stride(1) != 1 ||
                           b->size(0) != x.size(0) || b->size(1) != x.size(1))) {
        return false;
      }
    }
    for (const auto* v : vectors) {
      if (v->defined() && (!v->is_cpu() || v->scalar_type() != x.scalar_type() || !v->is_contiguous() || v->numel() != x.size(1))) {
        return false;
      }
    }
    return true;
  }

  /// Columns per share when a block's loops are split over LibTorch's threads: a node's block
  /// (512 columns at H = 256) in up to four shares. Every column's sums keep their row order, so
  /// the values do not depend on the split. Inside a parallel region (a group's members run at
  /// once) the loops run in one piece.
  static constexpr std::int64_t kColumnGrain = 128;

  /// Training forward: x ← offset + scale·x̂ with x̂ = (x − μ)/√(σ² + ε); μ, σ² (biased) returned.
  template <class T>
  static void forward(at::Tensor& x, const at::Tensor& scale, const at::Tensor& offset, double eps, at::Tensor& mean,
                      at::Tensor& var, at::Tensor& xhat, at::Tensor& inv_std, const CrossReplicaSum* sync) {
    const auto rows = x.size(0), cols = x.size(1), xs = x.stride(0), hs = xhat.stride(0);
    T* __restrict px = x.data_ptr<T>();
    T* __restrict ph = xhat.data_ptr<T>();
    const T* __restrict sc = scale.data_ptr<T>();
    const T* __restrict of = offset.data_ptr<T>();
    T* __restrict pm = mean.data_ptr<T>();
    T* __restrict pv = var.data_ptr<T>();
    T* __restrict pi = inv_std.data_ptr<T>();
    const T inv_rows = T(1) / static_cast<T>(rows);
    // Mean and sum of squared deviations of columns [c0, c1).
    auto moments = [&](std::int64_t c0, std::int64_t c1) {
      for (std::int64_t c = c0; c < c1; ++c) pm[c] = T(0);
      for (std::int64_t r = 0; r < rows; ++r) {
        const T* __restrict row = px + r * xs;
        for (std::int64_t c = c0; c < c1; ++c) pm[c] += row[c];
      }
      for (std::int64_t c = c0; c < c1; ++c) {
        pm[c] *= inv_rows;
        pv[c] = T(0);
      }
      for (std::int64_t r = 0; r < rows; ++r) {
        const T* __restrict row = px + r * xs;
        for (std::int64_t c = c0; c < c1; ++c) {
          const T d = row[c] - pm[c];
          pv[c] += d * d;
        }
      }
    };
    // 1/σ, x̂ and the output of columns [c0, c1), from their mean and variance.
    auto normalize = [&](std::int64_t c0, std::int64_t c1) {
      for (std::int64_t c = c0; c < c1; ++c) pi[c] = T(1) / std::sqrt(pv[c] + static_cast<T>(eps));
      for (std::int64_t r = 0; r < rows; ++r) {
        T* __restrict row = px + r * xs;
        T* __restrict hrow = ph + r * hs;
        for (std::int64_t c = c0; c < c1; ++c) {
          const T h = (row[c] - pm[c]) * pi[c];
          hrow[c] = h;
          row[c] = of[c] + h * sc[c];
        }
      }
    };
    if (sync != nullptr) {  // a collective between the two passes: in one piece
      moments(0, cols);
      combine_moments(*sync, mean, var, rows);  // this replica's mean and M2 -> the batch's mean and variance
      normalize(0, cols);
      return;
    }
    at::parallel_for(0, cols, kColumnGrain, [&](std::int64_t c0, std::int64_t c1) {
      moments(c0, c1);
      for (std::int64_t c = c0; c < c1; ++c) pv[c] *= inv_rows;
      normalize(c0, c1);
    });
  }

  /// Training backward, in place on `grad` (dL/dy in, dL/dx out):
  ///   dL/dx = scale·(1/σ)·(dy − mean_b(dy) − x̂·mean_b(dy·x̂)); the sums are the parameter gradients.
  /// With `sync`, the means are over every replica's rows; the parameter gradients stay this
  /// process's sums (a data-parallel run sums them with the other gradients).
  template <class T>
  static void backward(at::Tensor& grad, const at::Tensor& xhat, const at::Tensor& inv_std, const at::Tensor& scale,
                       at::Tensor& g_scale, at::Tensor& g_offset, const CrossReplicaSum* sync) {
    const auto rows = grad.size(0), cols = grad.size(1), gs = grad.stride(0), hs = xhat.stride(0);
    T* __restrict pg = grad.data_ptr<T>();
    const T* __restrict ph = xhat.data_ptr<T>();
    const T* __restrict pi = inv_std.data_ptr<T>();
    const T* __restrict sc = scale.data_ptr<T>();
    T* __restrict sum = g_offset.data_ptr<T>();
    T* __restrict dot = g_scale.data_ptr<T>();
    // Σ dy and Σ dy·x̂ of columns [c0, c1).
    auto sums = [&](std::int64_t c0, std::int64_t c1) {
      for (std::int64_t c = c0; c < c1; ++c) sum[c] = dot[c] = T(0);
      for (std::int64_t r = 0; r < rows; ++r) {
        const T* __restrict g = pg + r * gs;
        const T* __restrict h = ph + r * hs;
        for (std::int64_t c = c0; c < c1; ++c) {
          sum[c] += g[c];
          dot[c] += g[c] * h[c];
        }
      }
    };
    // dx = k·(dy − m_sum − x̂·m_dot), k = scale/σ, for columns [c0, c1), from the sums at s and d.
    auto input_grad = [&](std::int64_t c0, std::int64_t c1, const T* s, const T* d, T inv_rows) {
      constexpr std::int64_t kChunk = kColumnGrain;
      T ms[kChunk], md[kChunk], k[kChunk];
      for (std::int64_t base = c0; base < c1; base += kChunk) {
        const std::int64_t n = std::min(kChunk, c1 - base);
        for (std::int64_t c = 0; c < n; ++c) {
          ms[c] = s[base + c] * inv_rows;
          md[c] = d[base + c] * inv_rows;
          k[c] = sc[base + c] * pi[base + c];
        }
        for (std::int64_t r = 0; r < rows; ++r) {
          T* __restrict g = pg + r * gs + base;
          const T* __restrict h = ph + r * hs + base;
          for (std::int64_t c = 0; c < n; ++c) g[c] = (g[c] - ms[c] - h[c] * md[c]) * k[c];
        }
      }
    };
    if (sync != nullptr) {  // a collective between the two passes: in one piece
      sums(0, cols);
      auto both = at::stack({g_offset, g_scale});
      sync->sum(both);
      const T* s = both.data_ptr<T>();
      input_grad(0, cols, s, s + cols, T(1) / static_cast<T>(rows * sync->replicas));
      return;
    }
    at::parallel_for(0, cols, kColumnGrain, [&](std::int64_t c0, std::int64_t c1) {
      sums(c0, c1);
      input_grad(c0, c1, sum, dot, T(1) / static_cast<T>(rows));
    });
  }
};

/// y = BN(x) in place (x is [B, W]). Training: batch statistics (biased variance), recorded in
/// `stats`, with x̂ and 1/σ written to the tape slots when given. Inference: moving statistics.
inline void norm_forward(at::Tensor x, const CellNorm& norm, std::size_t index, bool training, NormWindowStats* stats,
                         at::Tensor xhat, at::Tensor inv_std) {
  const auto& scale = norm.scale[index];
  const auto& offset = norm.offset[index];
  const CrossReplicaSum* sync = training ? norm.cross_replica.get() : nullptr;
  if (training && HostBlock::fits(x, {&xhat}, {&inv_std, &scale, &offset})) {
    if (!xhat.defined()) {
      xhat = at::empty_like(x);
      inv_std = at::empty({x.size(1)}, x.options());
    }
    auto mean = at::empty({x.size(1)}, x.options());
    auto var = at::empty({x.size(1)}, x.options());
    if (x.scalar_type() == at::kFloat) {
      HostBlock::forward<float>(x, scale, offset, norm.eps, mean, var, xhat, inv_std, sync);
    } else {
      HostBlock::forward<double>(x, scale, offset, norm.eps, mean, var, xhat, inv_std, sync);
    }
    stats->mean[index].push_back(mean);
    stats->var[index].push_back(var);
    return;
  }
  if (training) {
    auto [var, mean] = at::var_mean(x, {0}, /*unbiased=*/false);
    if (sync != nullptr) {  // as the host loops: this replica's moments, combined over the replicas
      var.mul_(static_cast<double>(x.size(0)));
      combine_moments(*sync, mean, var, x.size(0));
    }
    if (!xhat.defined()) {
      xhat = at::empty_like(x);
      inv_std = at::empty_like(var);
    }
    at::add_out(inv_std, var, norm.eps);
    inv_std.rsqrt_();
    at::sub_out(xhat, x, mean);
    xhat.mul_(inv_std);
    at::addcmul_out(x, offset, xhat, scale);
    stats->mean[index].push_back(mean);
    stats->var[index].push_back(var);
  } else {
    const auto factor = (norm.running_var[index] + norm.eps).rsqrt_().mul_(scale);
    x.sub_(norm.running_mean[index]).mul_(factor).add_(offset);
  }
}

/// Backward of y = scale·x̂ + offset with batch statistics, in place: `grad` holds dL/dy on entry
/// and dL/dx on exit. The parameter gradients of this step are appended to the lists:
///   dL/dx = scale·(1/σ)·(dy − mean_b(dy) − x̂·mean_b(dy·x̂)).
inline void norm_backward(at::Tensor grad, const at::Tensor& xhat, const at::Tensor& inv_std, const at::Tensor& scale,
                          std::vector<at::Tensor>& d_scale, std::vector<at::Tensor>& d_offset,
                          const CrossReplicaSum* sync) {
  if (HostBlock::fits(grad, {&xhat}, {&inv_std, &scale})) {
    auto g_scale = at::empty({grad.size(1)}, grad.options());
    auto g_offset = at::empty({grad.size(1)}, grad.options());
    if (grad.scalar_type() == at::kFloat) {
      HostBlock::backward<float>(grad, xhat, inv_std, scale, g_scale, g_offset, sync);
    } else {
      HostBlock::backward<double>(grad, xhat, inv_std, scale, g_scale, g_offset, sync);
    }
    d_scale.push_back(g_scale);
    d_offset.push_back(g_offset);
    return;
  }
  const double inv_batch = 1.0 / static_cast<double>(grad.size(0) * (sync != nullptr ? sync->replicas : 1));
  const auto g_offset = grad.sum(0);
  const auto g_scale = (grad * xhat).sum(0);
  at::Tensor m_sum = g_offset, m_dot = g_scale;
  if (sync != nullptr) {
    auto both = at::stack({g_offset, g_scale});
    sync->sum(both);
    m_sum = both[0];
    m_dot = both[1];
  }
  auto centred = at::sub(grad, m_sum, inv_batch);
  centred.addcmul_(xhat, m_dot, -inv_batch);
  at::mul_out(grad, centred, scale * inv_std);
  d_scale.push_back(g_scale);
  d_offset.push_back(g_offset);
}

/// Runs f(k) for k in [0, n), the members of one group, which are independent of each other: on
/// the CPU spread over LibTorch's threads (each member's elementwise work is too small for ATen
/// to split, so one core idled while the other did them all in turn), else in order. The workers
/// run without grad mode, as the autograd node's own thread does. at::parallel_for is inline: it
/// runs in parallel only where enas is compiled with OpenMP (ENAS_WITH_OPENMP,
/// cmake/EnasOpenMP.cmake), else in order.
template <class F>
void for_each_member(std::int64_t n, bool cpu, F&& f) {
  if (n < 2 || !cpu || at::get_num_threads() < 2 || at::in_parallel_region()) {
    for (std::int64_t k = 0; k < n; ++k) f(k);
    return;
  }
  at::parallel_for(0, n, 1, [&](std::int64_t begin, std::int64_t end) {
    at::NoGradGuard no_grad;
    const at::AutoDispatchBelowADInplaceOrView below_autograd;  // as the caller's loop (cell_forward)
    for (std::int64_t k = begin; k < end; ++k) f(k);
  });
}

inline at::Tensor cell_forward(const at::Tensor& x_proj, const at::Tensor& state, const at::Tensor& w_state,
                               const std::vector<at::Tensor>& w_node, const CellWindowConfig& cfg, CellTape* tape) {
  const CellPlan& plan = *cfg.plan;
  const CellGroups groups(plan);
  const auto n_nodes = plan.nodes();
  const auto steps = x_proj.size(0);
  const auto batch = x_proj.size(1);
  const auto hidden = state.size(1);
  const auto width = 2 * hidden;
  const auto opts = x_proj.options();
  const bool use_norm = cfg.norm != nullptr;
  const bool masked = cfg.mask_h.defined();
  const bool taping = tape != nullptr;
  // Synchronised statistics are collectives: every replica must issue them in the same order,
  // so a group's members are finished one after another.
  const bool synced = use_norm && cfg.training && cfg.norm->cross_replica != nullptr;

  std::vector<at::Tensor> w_group;
  for (const auto& g : groups.groups) w_group.push_back(groups.weights(g, w_node));
  auto nodes = at::empty({n_nodes, steps, batch, hidden}, opts);
  auto pre = at::empty({steps, batch, n_nodes * width}, opts);
  auto gate = at::empty({n_nodes, steps, batch, hidden}, opts);
  auto states = at::empty({steps + 1, batch, hidden}, opts);
  at::Tensor xhat, inv_std, out_xhat, out_inv_std;
  if (taping && use_norm) {
    xhat = at::empty({n_nodes, steps, batch, width}, opts);
    inv_std = at::empty({n_nodes, steps, width}, opts);
    out_xhat = at::empty({steps, batch, hidden}, opts);
    out_inv_std = at::empty({steps, hidden}, opts);
  }
  std::vector<at::Tensor> act;
  if (taping) act.resize(static_cast<std::size_t>(n_nodes * steps));
  NormWindowStats stats(static_cast<std::size_t>(n_nodes + 1));
  states[0].copy_(state);
  const double inv_loose = 1.0 / static_cast<double>(plan.loose_ends.size());

  // Batch norm, activation, gate and highway of node i at time t, from its pre-activation.
  auto finish_node = [&](std::int64_t i, std::int64_t t, const at::Tensor& p) {
    const auto col = groups.slot[static_cast<std::size_t>(i)] * width;
    auto hc = pre[t].narrow(1, col, width);
    if (use_norm) {
      norm_forward(hc, *cfg.norm, static_cast<std::size_t>(i), cfg.training, &stats,
                   taping ? xhat[i][t] : at::Tensor(), taping ? inv_std[i][t] : at::Tensor());
    }
    const auto h = cfg.kernels[plan.activation[static_cast<std::size_t>(i)]].forward(hc.narrow(1, 0, hidden));
    auto c = gate[i][t];
    at::sigmoid_out(c, hc.narrow(1, hidden, hidden));
    auto out = nodes[i][t];
    at::lerp_out(out, p, h, c);  // p + c ⊙ (h − p)
    if (taping) act[static_cast<std::size_t>(i * steps + t)] = h;
  };

  // The loop's tensors are the tape and per-step buffers, which autograd never sees: its views and
  // small operations (thousands per window) are dispatched below the autograd and view-tracking
  // layers, which halves the cost of each view (select 384 → 202 ns, narrow 1.2 → 0.56 µs here).
  // In-place writes there bump no version counter, so the output view is made after the loop.
  std::optional<at::AutoDispatchBelowADInplaceOrView> below_autograd(std::in_place);
  for (std::int64_t t = 0; t < steps; ++t) {
    const auto s_prev = states[t];
    auto hc0 = pre[t].narrow(1, 0, width);
    at::addmm_out(hc0, x_proj[t], masked ? s_prev * cfg.mask_h : s_prev, w_state);
    finish_node(0, t, s_prev);
    for (std::size_t g = 0; g < groups.groups.size(); ++g) {
      const auto& group = groups.groups[g];
      const auto p = nodes[group.source][t];
      auto block = pre[t].narrow(1, group.first_slot * width, static_cast<std::int64_t>(group.nodes.size()) * width);
      at::mm_out(block, masked ? p * cfg.mask_h : p, w_group[g]);
      for_each_member(static_cast<std::int64_t>(group.nodes.size()), p.is_cpu() && !synced,
                      [&](std::int64_t k) { finish_node(group.nodes[static_cast<std::size_t>(k)], t, p); });
    }
    auto s = states[t + 1];
    const auto& loose = plan.loose_ends;
    if (loose.size() == 1) {
      s.copy_(nodes[loose[0]][t]);
    } else {
      at::add_out(s, nodes[loose[0]][t], nodes[loose[1]][t]);
      for (std::size_t l = 2; l < loose.size(); ++l) s.add_(nodes[loose[l]][t]);
      s.mul_(inv_loose);
    }
    if (use_norm) {
      norm_forward(s, *cfg.norm, static_cast<std::size_t>(n_nodes), cfg.training, &stats,
                   taping ? out_xhat[t] : at::Tensor(), taping ? out_inv_std[t] : at::Tensor());
    }
  }
  below_autograd.reset();
  if (use_norm && cfg.training) stats.apply(*cfg.norm);
  if (taping) {
    tape->nodes = nodes;
    tape->pre = pre;
    tape->gate = gate;
    tape->act = std::move(act);
    tape->states = states;
    tape->xhat = xhat;
    tape->inv_std = inv_std;
    tape->out_xhat = out_xhat;
    tape->out_inv_std = out_inv_std;
  }
  return states.narrow(0, 1, steps);
}

}  // namespace detail

/// The autograd node. Inputs: x_proj [T,B,2H], state [B,H], w_state [H,2H], the node weights
/// (N−1 × [H,2H]) and the norm parameters (scale then offset, N+1 each, or none).
class CellWindowFunction : public torch::autograd::Function<CellWindowFunction> {
 public:
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x_proj,
                                                const at::Tensor& state, const at::Tensor& w_state,
                                                at::TensorList w_node, at::TensorList norm_params,
                                                const CellWindowConfig* cfg) {
    detail::CellTape tape;
    const std::vector<at::Tensor> weights(w_node.begin(), w_node.end());
    auto out = detail::cell_forward(x_proj, state, w_state, weights, *cfg, &tape);
    const auto& plan = *cfg->plan;
    ctx->saved_data["predecessor"] = plan.predecessor;
    ctx->saved_data["activation"] = plan.activation;
    ctx->saved_data["loose"] = plan.loose_ends;
    ctx->saved_data["kernels"] = reinterpret_cast<std::int64_t>(cfg->kernels);  // static storage
    ctx->saved_data["nodes"] = tape.nodes;
    ctx->saved_data["pre"] = tape.pre;
    ctx->saved_data["gate"] = tape.gate;
    ctx->saved_data["act"] = tape.act;
    ctx->saved_data["states"] = tape.states;
    ctx->saved_data["mask"] = cfg->mask_h.defined() ? cfg->mask_h : at::Tensor();
    ctx->saved_data["has_mask"] = cfg->mask_h.defined();
    ctx->saved_data["norm"] = cfg->norm != nullptr;
    // The model owns the CrossReplicaSum and outlives its backward pass (as the kernel table).
    ctx->saved_data["cross_replica"] =
        reinterpret_cast<std::int64_t>(cfg->norm != nullptr ? cfg->norm->cross_replica.get() : nullptr);
    if (cfg->norm != nullptr) {
      ctx->saved_data["xhat"] = tape.xhat;
      ctx->saved_data["inv_std"] = tape.inv_std;
      ctx->saved_data["out_xhat"] = tape.out_xhat;
      ctx->saved_data["out_inv_std"] = tape.out_inv_std;
    }
    std::vector<at::Tensor> to_save{w_state};
    to_save.insert(to_save.end(), w_node.begin(), w_node.end());
    to_save.insert(to_save.end(), norm_params.begin(), norm_params.end());
    ctx->save_for_backward(to_save);
    ctx->saved_data["num_norm"] = static_cast<std::int64_t>(norm_params.size());
    return {out};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs);
};

/// Runs the cell over a window. Differentiable (through CellWindowFunction) when grad mode is on
/// and cfg.training; otherwise a plain forward without a tape.
inline at::Tensor cell_window(const at::Tensor& x_proj, const at::Tensor& state, const at::Tensor& w_state,
                              const std::vector<at::Tensor>& w_node, const CellWindowConfig& cfg) {
  detail::check_plan(*cfg.plan, cfg.num_kernels);
  if (static_cast<std::int64_t>(w_node.size()) != cfg.plan->nodes() - 1) {
    throw ConfigError("cell window: " + std::to_string(w_node.size()) + " node weights for " +
                      std::to_string(cfg.plan->nodes()) + " nodes");
  }
  if (at::GradMode::is_enabled() && cfg.training) {
    std::vector<at::Tensor> norm_params;
    if (cfg.norm != nullptr) {
      norm_params.insert(norm_params.end(), cfg.norm->scale.begin(), cfg.norm->scale.end());
      norm_params.insert(norm_params.end(), cfg.norm->offset.begin(), cfg.norm->offset.end());
    }
    return CellWindowFunction::apply(x_proj, state, w_state, at::TensorList(w_node), at::TensorList(norm_params),
                                     &cfg)[0];
  }
  return detail::cell_forward(x_proj, state, w_state, w_node, cfg, nullptr);
}

inline torch::autograd::variable_list CellWindowFunction::backward(torch::autograd::AutogradContext* ctx,
                                                                  torch::autograd::variable_list grad_outputs) {
  CellPlan plan;
  plan.predecessor = ctx->saved_data["predecessor"].toIntVector();
  plan.activation = ctx->saved_data["activation"].toIntVector();
  plan.loose_ends = ctx->saved_data["loose"].toIntVector();
  const detail::CellGroups groups(plan);
  const auto* kernels = reinterpret_cast<const ActivationKernel*>(ctx->saved_data["kernels"].toInt());
  const auto nodes = ctx->saved_data["nodes"].toTensor();
  const auto pre = ctx->saved_data["pre"].toTensor();
  const auto gate = ctx->saved_data["gate"].toTensor();
  const auto act = ctx->saved_data["act"].toTensorVector();
  const auto states = ctx->saved_data["states"].toTensor();
  const bool masked = ctx->saved_data["has_mask"].toBool();
  const auto mask = masked ? ctx->saved_data["mask"].toTensor() : at::Tensor();
  const bool use_norm = ctx->saved_data["norm"].toBool();
  const auto* sync = reinterpret_cast<const CrossReplicaSum*>(ctx->saved_data["cross_replica"].toInt());
  const auto num_norm = ctx->saved_data["num_norm"].toInt();
  const auto saved = ctx->get_saved_variables();
  const auto& w_state = saved[0];
  const auto n_nodes = plan.nodes();
  const std::vector<at::Tensor> w_node(saved.begin() + 1, saved.begin() + n_nodes);
  const std::vector<at::Tensor> scale(saved.begin() + n_nodes, saved.begin() + n_nodes + num_norm / 2);
  std::vector<at::Tensor> w_group;
  for (const auto& g : groups.groups) w_group.push_back(groups.weights(g, w_node));
  at::Tensor xhat, inv_std, out_xhat, out_inv_std;
  // Per normalised quantity, the parameter gradients of every step; summed once at the end.
  std::vector<std::vector<at::Tensor>> d_scale(scale.size()), d_offset(scale.size());
  if (use_norm) {
    xhat = ctx->saved_data["xhat"].toTensor();
    inv_std = ctx->saved_data["inv_std"].toTensor();
    out_xhat = ctx->saved_data["out_xhat"].toTensor();
    out_inv_std = ctx->saved_data["out_inv_std"].toTensor();
  }

  const auto steps = nodes.size(1);
  const auto batch = nodes.size(2);
  const auto hidden = nodes.size(3);
  const auto width = 2 * hidden;
  const auto opts = nodes.options();
  auto grad_out = grad_outputs[0].defined() ? grad_outputs[0] : at::zeros({steps, batch, hidden}, opts);
  auto d_pre = at::empty({steps, batch, n_nodes * width}, opts);  // dL/d(GEMM output), CellGroups slots
  auto d_nodes = at::empty({n_nodes, batch, hidden}, opts);
  auto d_state = at::zeros({batch, hidden}, opts);  // dL/ds_t flowing back from step t+1
  const double inv_loose = 1.0 / static_cast<double>(plan.loose_ends.size());

  // Gradient of node i's pre-activation at t (written into d_pre) from dL/dn_i; returns the
  // carry-path gradient dL/dn_i ⊙ (1 − c) for its input p.
  auto node_backward = [&](std::int64_t i, std::int64_t t, const at::Tensor& p) {
    const auto d = d_nodes[i];
    const auto& h = act[static_cast<std::size_t>(i * steps + t)];
    const auto c = gate[i][t];
    const auto col = groups.slot[static_cast<std::size_t>(i)] * width;
    const auto hc = pre[t].narrow(1, col, width);
    auto dhc = d_pre[t].narrow(1, col, width);
    const auto& kernel = kernels[plan.activation[static_cast<std::size_t>(i)]];
    if (kernel.node_backward != nullptr) {
      auto carry = at::empty_like(d);
      auto dh = dhc.narrow(1, 0, hidden), dc = dhc.narrow(1, hidden, hidden);
      if (kernel.node_backward(d, c, hc.narrow(1, 0, hidden), h, p, dh, dc, carry)) {
        if (use_norm) {
          detail::norm_backward(dhc, xhat[i][t], inv_std[i][t],
                                scale[static_cast<std::size_t>(i)], d_scale[static_cast<std::size_t>(i)],
                                d_offset[static_cast<std::size_t>(i)], sync);
        }
        return carry;
      }
    }
    const auto d_h = d * c;
    dhc.narrow(1, 0, hidden).copy_(kernel.backward(d_h, hc.narrow(1, 0, hidden), h));
    auto dhc_c = dhc.narrow(1, hidden, hidden);
    at::sigmoid_backward_out(dhc_c, d * (h - p), c);
    if (use_norm) {
      detail::norm_backward(dhc, xhat[i][t], inv_std[i][t],
                            scale[static_cast<std::size_t>(i)], d_scale[static_cast<std::size_t>(i)],
                            d_offset[static_cast<std::size_t>(i)], sync);
    }
    return d - d_h;
  };

  std::optional<at::AutoDispatchBelowADInplaceOrView> below_autograd(std::in_place);  // as in cell_forward
  for (std::int64_t t = steps - 1; t >= 0; --t) {
    auto g = grad_out[t] + d_state;
    if (use_norm) {
      detail::norm_backward(g, out_xhat[t], out_inv_std[t],
                            scale[static_cast<std::size_t>(n_nodes)], d_scale[static_cast<std::size_t>(n_nodes)],
                            d_offset[static_cast<std::size_t>(n_nodes)], sync);
    }
    d_nodes.zero_();
    for (auto l : plan.loose_ends) d_nodes[l].copy_(g).mul_(inv_loose);
    // Groups in reverse: every reader of a node lies in a later group, so its gradient is complete.
    for (std::size_t k = groups.groups.size(); k-- > 0;) {
      const auto& group = groups.groups[k];
      const auto p = nodes[group.source][t];
      auto d_source = d_nodes[group.source];
      std::vector<at::Tensor> carry(group.nodes.size());
      detail::for_each_member(static_cast<std::int64_t>(group.nodes.size()), p.is_cpu() && sync == nullptr, [&](std::int64_t k) {
        carry[static_cast<std::size_t>(k)] = node_backward(group.nodes[static_cast<std::size_t>(k)], t, p);
      });
      for (const auto& c : carry) d_source.add_(c);  // in member order, as before: the same sums
      const auto block = d_pre[t].narrow(1, group.first_slot * width, static_cast<std::int64_t>(group.nodes.size()) * width);
      const auto d_in = at::mm(block, w_group[k].t());
      if (masked) {
        d_source.addcmul_(d_in, mask);
      } else {
        d_source.add_(d_in);
      }
    }
    auto d_carry = node_backward(0, t, states[t]);
    const auto d_in = at::mm(d_pre[t].narrow(1, 0, width), w_state.t());
    d_state = masked ? d_carry.addcmul_(d_in, mask) : d_carry.add_(d_in);
  }
  below_autograd.reset();

  // Weight gradients: one GEMM per group over all T·B rows of (input ⊙ m_h) and dL/d[h|c].
  auto weight_grad = [&](const at::Tensor& inputs, std::int64_t first_slot, std::int64_t members) {
    const auto x = masked ? inputs * mask : inputs;
    const auto d = d_pre.view({steps * batch, n_nodes * width}).narrow(1, first_slot * width, members * width);
    return at::mm(x.reshape({steps * batch, hidden}).t(), d);
  };
  std::vector<at::Tensor> d_w_node(static_cast<std::size_t>(n_nodes - 1));
  for (const auto& group : groups.groups) {
    const auto members = static_cast<std::int64_t>(group.nodes.size());
    const auto dw = weight_grad(nodes[group.source], group.first_slot, members);
    for (std::int64_t m = 0; m < members; ++m) {
      d_w_node[static_cast<std::size_t>(group.nodes[static_cast<std::size_t>(m)] - 1)] =
          members == 1 ? dw : dw.narrow(1, m * width, width).contiguous();
    }
  }
  torch::autograd::variable_list grads;
  grads.push_back(d_pre.narrow(2, 0, width));              // x_proj
  grads.push_back(d_state);                                // state
  grads.push_back(weight_grad(states.narrow(0, 0, steps), 0, 1));  // w_state
  for (auto& dw : d_w_node) grads.push_back(dw);
  for (const auto& per_step : d_scale) grads.push_back(at::stack(per_step).sum(0));
  for (const auto& per_step : d_offset) grads.push_back(at::stack(per_step).sum(0));
  grads.push_back(at::Tensor());  // cfg
  return grads;
}

}  // namespace enas::nn

#endif  // ENAS_NN_CELL_WINDOW_HPP
