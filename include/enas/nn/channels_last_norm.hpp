/// @file
/// @brief Batch norm with batch statistics over a channels-last CPU tensor as plain loops.
///
/// Why: the CIFAR models keep activations channels-last (the convolutions are 2x faster so), and
/// LibTorch's CPU batch norm over channels-last with few channels (the micro model's 20 at 32×32)
/// is 3–5x slower than over NCHW (perf of micro_search_step: batch norm was a third of the step).
/// In memory such a tensor is an [M, C] block, M = N·H·W, so each statistic is a column sum:
/// the loops below sum fixed blocks of rows in float (the inner loop over C vectorises), the
/// blocks into double, blocks spread over LibTorch's threads (where enas is compiled with OpenMP:
/// cmake/EnasOpenMP.cmake; else on one). The block partition does not depend on the thread
/// count, so results are the same with any number of threads.
///
/// Semantics are at::batch_norm's in training mode: biased variance normalises, the moving
/// variance takes the unbiased one, momentum m: r ← (1 − m)·r + m·batch. Anything else (another
/// device, layout or dtype, moving statistics) goes to at::batch_norm.
#ifndef ENAS_NN_CHANNELS_LAST_NORM_HPP
#define ENAS_NN_CHANNELS_LAST_NORM_HPP

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace enas::nn {

namespace detail {

/// Rows per block: the unit of the float partial sums and of the work split.
inline constexpr std::int64_t kNormBlockRows = 256;

/// Per-column sums over the rows of an [M, C] block, `f(row pointer(s), c)` giving each term,
/// accumulated in float within a block of rows and in double across blocks. `out` gets C doubles
/// per term (kTerms terms).
template <int kTerms, class T, class Term>
void column_sums(std::int64_t rows, std::int64_t cols, double* out, Term&& term) {
  const std::int64_t blocks = (rows + kNormBlockRows - 1) / kNormBlockRows;
  std::vector<double> partial(static_cast<std::size_t>(blocks * kTerms * cols), 0.0);
  at::parallel_for(0, blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> acc(static_cast<std::size_t>(kTerms * cols));
    for (std::int64_t b = begin; b < end; ++b) {
      std::fill(acc.begin(), acc.end(), T(0));
      const std::int64_t r1 = std::min(rows, (b + 1) * kNormBlockRows);
      for (std::int64_t r = b * kNormBlockRows; r < r1; ++r) term(r, acc.data());
      double* p = partial.data() + b * kTerms * cols;
      for (std::int64_t k = 0; k < kTerms * cols; ++k) p[k] = static_cast<double>(acc[static_cast<std::size_t>(k)]);
    }
  });
  std::fill(out, out + kTerms * cols, 0.0);
  for (std::int64_t b = 0; b < blocks; ++b) {
    const double* p = partial.data() + b * kTerms * cols;
    for (std::int64_t k = 0; k < kTerms * cols; ++k) out[k] += p[k];
  }
}

/// out[r, c] = a[c]·(x[r, c] − m[c]) + b[c], or with a second input out[r, c] = a[c]·x[r, c] +
/// d[c]·(z[r, c] − m[c]) + b[c]; rows over threads. Centring before scaling keeps a channel whose
/// spread is small against its mean exact: a·x + (b − a·m) would cancel two large terms (with
/// σ = 1e-3 and mean 5, a 1e-4 relative error in y, found comparing two processes with one).
template <class T>
void column_affine(std::int64_t rows, std::int64_t cols, const T* x, const T* a, const T* b, const T* m, T* out,
                   const T* z = nullptr, const T* d = nullptr) {
  at::parallel_for(0, rows, kNormBlockRows, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * cols;
      T* o = out + r * cols;
      if (z == nullptr) {
        for (std::int64_t c = 0; c < cols; ++c) o[c] = a[c] * (xr[c] - m[c]) + b[c];
      } else {
        const T* zr = z + r * cols;
        for (std::int64_t c = 0; c < cols; ++c) o[c] = a[c] * xr[c] + d[c] * (zr[c] - m[c]) + b[c];
      }
    }
  });
}

/// The autograd node: saves x, the batch mean and 1/σ; backward gives x, scale and offset.
/// The moving statistics a training step updates (undefined tensors: none).
struct MovingStats {
  at::Tensor mean, var;
  double momentum = 0.1;
};

template <class T>
struct ChannelsLastNorm : public torch::autograd::Function<ChannelsLastNorm<T>> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& scale,
                            const at::Tensor& offset, double eps, const MovingStats* moving) {
    const auto cols = x.size(1);
    const auto rows = x.numel() / cols;
    const T* px = x.data_ptr<T>();
    std::vector<double> sum(static_cast<std::size_t>(cols)), sq(static_cast<std::size_t>(cols));
    column_sums<1, T>(rows, cols, sum.data(), [&](std::int64_t r, T* acc) {
      const T* xr = px + r * cols;
      for (std::int64_t c = 0; c < cols; ++c) acc[c] += xr[c];
    });
    auto mean = at::empty({cols}, x.options());
    T* pm = mean.data_ptr<T>();
    for (std::int64_t c = 0; c < cols; ++c) pm[c] = static_cast<T>(sum[static_cast<std::size_t>(c)] / static_cast<double>(rows));
    // Second pass about the mean: no cancellation for inputs far from zero.
    column_sums<1, T>(rows, cols, sq.data(), [&](std::int64_t r, T* acc) {
      const T* xr = px + r * cols;
      for (std::int64_t c = 0; c < cols; ++c) {
        const T d = xr[c] - pm[c];
        acc[c] += d * d;
      }
    });
    auto inv_std = at::empty({cols}, x.options());
    auto a = at::empty({cols}, x.options());
    auto b = at::empty({cols}, x.options());
    T* pi = inv_std.data_ptr<T>();
    T* pa = a.data_ptr<T>();
    T* pb = b.data_ptr<T>();
    const T* ps = scale.data_ptr<T>();
    const T* po = offset.data_ptr<T>();
    for (std::int64_t c = 0; c < cols; ++c) {
      const double var = sq[static_cast<std::size_t>(c)] / static_cast<double>(rows);
      pi[c] = static_cast<T>(1.0 / std::sqrt(var + eps));
      pa[c] = ps[c] * pi[c];
      pb[c] = po[c];
    }
    if (moving != nullptr && moving->mean.defined()) {
      const double unbiased = static_cast<double>(rows) / static_cast<double>(rows - 1);
      auto var = at::empty({cols}, at::TensorOptions().dtype(at::kDouble));
      for (std::int64_t c = 0; c < cols; ++c) {
        var.data_ptr<double>()[c] = sq[static_cast<std::size_t>(c)] / static_cast<double>(rows) * unbiased;
      }
      const double m = moving->momentum;
      moving->mean.mul_(1.0 - m).add_(mean.to(moving->mean.scalar_type()), m);
      moving->var.mul_(1.0 - m).add_(var.to(moving->var.scalar_type()), m);
    }
    auto y = at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::ChannelsLast));
    column_affine<T>(rows, cols, px, pa, pb, pm, y.data_ptr<T>());
    ctx->save_for_backward({x, scale, mean, inv_std});
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& scale = saved[1];
    const auto& mean = saved[2];
    const auto& inv_std = saved[3];
    if (!grads[0].defined()) return {at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    const auto g = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
    const auto cols = x.size(1);
    const auto rows = x.numel() / cols;
    const T* px = x.data_ptr<T>();
    const T* pg = g.data_ptr<T>();
    const T* pm = mean.data_ptr<T>();
    std::vector<double> sums(static_cast<std::size_t>(2 * cols));
    // sums[0, C): Σ dy;  sums[C, 2C): Σ dy·(x − μ).
    column_sums<2, T>(rows, cols, sums.data(), [&](std::int64_t r, T* acc) {
      const T* xr = px + r * cols;
      const T* gr = pg + r * cols;
      for (std::int64_t c = 0; c < cols; ++c) {
        acc[c] += gr[c];
        acc[cols + c] += gr[c] * (xr[c] - pm[c]);
      }
    });
    auto g_scale = at::empty({cols}, x.options());
    auto g_offset = at::empty({cols}, x.options());
    // dx = k·(dy − Σdy/M − (x − μ)·(1/σ)²·Σdy(x − μ)/M), k = scale/σ: per column a·dy − d·(x − μ) + e.
    std::vector<T> a(static_cast<std::size_t>(cols)), d(static_cast<std::size_t>(cols)), e(static_cast<std::size_t>(cols));
    const T* pi = inv_std.data_ptr<T>();
    const T* ps = scale.data_ptr<T>();
    const double inv_rows = 1.0 / static_cast<double>(rows);
    for (std::int64_t c = 0; c < cols; ++c) {
      const double s = sums[static_cast<std::size_t>(c)], dot = sums[static_cast<std::size_t>(cols + c)];
      const double is = pi[c], k = static_cast<double>(ps[c]) * is;
      g_offset.data_ptr<T>()[c] = static_cast<T>(s);
      g_scale.data_ptr<T>()[c] = static_cast<T>(dot * is);
      const double dd = k * is * is * dot * inv_rows;
      a[static_cast<std::size_t>(c)] = static_cast<T>(k);
      d[static_cast<std::size_t>(c)] = static_cast<T>(-dd);
      e[static_cast<std::size_t>(c)] = static_cast<T>(-k * s * inv_rows);
    }
    auto gx = at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::ChannelsLast));
    column_affine<T>(rows, cols, pg, a.data(), e.data(), pm, gx.data_ptr<T>(), px, d.data());
    return {gx, g_scale, g_offset, at::Tensor(), at::Tensor()};
  }
};

}  // namespace detail

/// Whether batch_norm_batch_stats takes the loops: a 4-D channels-last float or double CPU
/// tensor, more than one value per channel, and parameters of its dtype.
inline bool channels_last_norm_applies(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& offset) {
  if (!x.is_cpu() || x.dim() != 4 || !x.is_contiguous(at::MemoryFormat::ChannelsLast) || x.numel() <= x.size(1)) return false;
  if (x.scalar_type() != at::kFloat && x.scalar_type() != at::kDouble) return false;
  for (const auto* p : {&scale, &offset}) {
    if (!p->defined() || !p->is_cpu() || p->scalar_type() != x.scalar_type() || !p->is_contiguous() || p->numel() != x.size(1)) {
      return false;
    }
  }
  return true;
}

/// Batch norm of [N, C, H, W] with batch statistics (training mode), updating the moving ones
/// when given: at::batch_norm(x, scale, offset, running_mean, running_var, true, momentum, eps).
inline at::Tensor batch_norm_batch_stats(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& offset,
                                         const at::Tensor& running_mean, const at::Tensor& running_var, double momentum,
                                         double eps) {
  if (channels_last_norm_applies(x, scale, offset)) {
    const detail::MovingStats moving{running_mean, running_var, momentum};
    if (x.scalar_type() == at::kFloat) return detail::ChannelsLastNorm<float>::apply(x, scale, offset, eps, &moving);
    return detail::ChannelsLastNorm<double>::apply(x, scale, offset, eps, &moving);
  }
  return at::batch_norm(x, scale, offset, running_mean, running_var, /*training=*/true, momentum, eps,
                        /*cudnn_enabled=*/true);
}

}  // namespace enas::nn

#endif  // ENAS_NN_CHANNELS_LAST_NORM_HPP
