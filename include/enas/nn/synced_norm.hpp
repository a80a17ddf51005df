/// @file
/// @brief Batch norm of [N, C, H, W] with the whole data-parallel batch's statistics
/// (synchronised batch norm): what one process computes on the whole batch, each replica holding
/// some of its rows (docs/distributed.md).
///
/// Forward: each replica's per-channel mean and M2, one all-gather, combined (combine_moments).
/// Backward: dL/dx = scale·(1/σ)·(dy − Σdy/N − x̂·Σ(dy·x̂)/N) needs the two column sums over the
/// whole batch: one all-reduce. The scale and offset gradients stay this replica's sums, which a
/// data-parallel step adds up with the other gradients. The arithmetic runs in float (in double
/// for double inputs), under autocast too.
#ifndef ENAS_NN_SYNCED_NORM_HPP
#define ENAS_NN_SYNCED_NORM_HPP

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdint>

#include "enas/nn/channels_last_norm.hpp"
#include "enas/nn/replicas.hpp"

namespace enas::nn {

namespace detail {

/// The autograd node; `moving` (null or undefined tensors: none) takes the whole batch's
/// statistics. Every tensor input is defined (autograd needs its device).
struct SyncedBatchNorm : public torch::autograd::Function<SyncedBatchNorm> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& scale,
                            const at::Tensor& offset, const MovingStats* moving, double eps, const CrossReplicaSum* sync) {
    const auto type = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
    const auto xf = x.to(type);
    const std::vector<std::int64_t> dims{0, 2, 3};
    const auto local_rows = x.numel() / x.size(1);
    // The statistics in double: a channel whose spread is small against its mean (a near-constant
    // one) would otherwise take the rounding of the combined mean, amplified by 1/σ, where one
    // process rounds the whole batch's mean once.
    const auto xd = x.to(at::kDouble);
    auto mean = xd.mean(dims);
    auto var = (xd - mean.view({1, -1, 1, 1})).square_().sum(dims);  // M2, then the variance
    const auto rows = combine_moments(*sync, mean, var, local_rows).to(type);
    const auto inv_std = (var + eps).rsqrt_().to(type);
    const auto xhat = (xf - mean.to(type).view({1, -1, 1, 1})) * inv_std.view({1, -1, 1, 1});
    var = var.to(type);
    mean = mean.to(type);
    const auto y = xhat * scale.to(type).view({1, -1, 1, 1}) + offset.to(type).view({1, -1, 1, 1});
    if (moving != nullptr && moving->mean.defined()) {
      const double m = moving->momentum;
      moving->mean.mul_(1.0 - m).add_(mean.to(moving->mean.scalar_type()), m);
      const auto unbiased = var * rows / (rows - 1);
      moving->var.mul_(1.0 - m).add_(unbiased.to(moving->var.scalar_type()), m);
    }
    ctx->save_for_backward({xhat, inv_std, scale, rows});
    ctx->saved_data["sync"] = reinterpret_cast<std::int64_t>(sync);  // the task owns it beyond the backward
    return y.to(x.scalar_type());
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& xhat = saved[0];
    const auto& inv_std = saved[1];
    const auto& scale = saved[2];
    const auto& rows = saved[3];
    const auto* sync = reinterpret_cast<const CrossReplicaSum*>(ctx->saved_data["sync"].toInt());
    const auto g = grads[0].to(xhat.scalar_type());
    const std::vector<std::int64_t> dims{0, 2, 3};
    const auto sum_dy = g.sum(dims);
    const auto sum_dy_xhat = (g * xhat).sum(dims);
    auto sums = at::cat({sum_dy, sum_dy_xhat});  // every replica's rows: one all-reduce
    sync->sum(sums);
    const auto cols = sum_dy.numel();
    const auto k = inv_std * scale.to(xhat.scalar_type());
    const auto mean_dy = sums.narrow(0, 0, cols) / rows;
    const auto mean_dy_xhat = sums.narrow(0, cols, cols) / rows;
    const auto gx = (g - mean_dy.view({1, -1, 1, 1}) - xhat * mean_dy_xhat.view({1, -1, 1, 1})) * k.view({1, -1, 1, 1});
    return {gx.to(grads[0].scalar_type()), sum_dy_xhat.to(scale.scalar_type()), sum_dy.to(scale.scalar_type()),
            at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace detail

/// Batch norm of `x` [N, C, H, W] (any memory format) with the statistics of the whole batch over
/// `sync`'s replicas, as at::batch_norm in training mode on that batch: biased variance
/// normalises, the moving variance (when given) takes the unbiased one, r ← (1 − m)·r + m·batch.
/// `scale` and `offset` may be undefined (no affine parameters).
inline at::Tensor synced_batch_norm(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& offset,
                                   const at::Tensor& running_mean, const at::Tensor& running_var, double momentum,
                                   double eps, const CrossReplicaSum& sync) {
  const auto ones = [&] { return at::ones({x.size(1)}, x.options().dtype(x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat)); };
  const detail::MovingStats moving{running_mean, running_var, momentum};
  return detail::SyncedBatchNorm::apply(x, scale.defined() ? scale : ones(), offset.defined() ? offset : ones().zero_(),
                                        &moving, eps, &sync);
}

}  // namespace enas::nn

#endif  // ENAS_NN_SYNCED_NORM_HPP
