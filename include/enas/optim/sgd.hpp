/// @file
/// @brief The child optimizer of the reference: (momentum) SGD on `loss + l2·Σw²` with gradients
/// clipped to a global norm, all without a host synchronisation.
#ifndef ENAS_OPTIM_SGD_HPP
#define ENAS_OPTIM_SGD_HPP

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/io/checkpoint.hpp"

namespace enas::optim {

/// Options of Sgd, with the reference's flag names.
struct SgdOptions {
  double l2_reg = 0.0;      ///< child_l2_reg: l2·Σw² is part of the loss (gradient 2·l2·w)
  double grad_bound = 0.0;  ///< child_grad_bound: global-norm clip; 0 switches clipping off
  double momentum = 0.0;    ///< 0.9 on CIFAR
  bool nesterov = false;    ///< Nesterov momentum (TF's use_nesterov=True on CIFAR)
};

/// One optimizer for the parameters a step used. Parameters without a gradient (shared weights
/// of choices the step did not sample) are left untouched, momentum buffers included.
class Sgd {
 public:
  explicit Sgd(SgdOptions options) : options_(options) {
    if (options.l2_reg < 0 || options.grad_bound < 0 || options.momentum < 0) {
      throw ConfigError("SGD options: l2_reg, grad_bound and momentum must be non-negative");
    }
  }

  /// Applies one update with learning rate `lr` to the parameters in `params` that have a
  /// gradient, then clears those gradients. Returns the global gradient norm before clipping
  /// (the reference's logged |g|) as a device scalar. A non-finite norm skips the update and is
  /// remembered (diverged()), so that a diverging run never corrupts its weights.
  at::Tensor step(const std::vector<at::Tensor>& params, double lr) { return update(params, lr, at::Tensor()); }

  /// The same update with the learning rate a device scalar (float, on the parameters' device),
  /// so that a step recorded in a CUDA graph reads this step's rate when it is replayed. Every
  /// state tensor is updated in place, as a replayed graph requires.
  at::Tensor step(const std::vector<at::Tensor>& params, const at::Tensor& lr) { return update(params, 0.0, lr); }

  /// True when some step since the last call saw a non-finite gradient (one host read).
  bool diverged() {
    if (!nonfinite_.defined()) return false;
    const bool bad = nonfinite_.item<bool>();
    nonfinite_.fill_(false);
    return bad;
  }

  /// Writes the momentum buffers of `params` (by position) and the pending divergence flag.
  void save(io::OutputArchive& a, const std::vector<at::Tensor>& params) const {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto it = momentum_.find(params[i].unsafeGetTensorImpl());
      if (it != momentum_.end()) io::write_tensor(a, "momentum" + std::to_string(i), it->second);
    }
    io::write_int(a, "nonfinite", nonfinite_.defined() && nonfinite_.item<bool>() ? 1 : 0);
  }
  void load(io::InputArchive& a, const std::vector<at::Tensor>& params) {
    momentum_.clear();
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto key = "momentum" + std::to_string(i);
      if (!io::has_key(a, key)) continue;
      const auto buf = io::read_tensor(a, key);
      if (buf.sizes() != params[i].sizes()) throw CheckpointError("momentum buffer " + std::to_string(i) + " does not fit its parameter");
      momentum_[params[i].unsafeGetTensorImpl()] = buf.to(params[i].device()).contiguous(params[i].suggest_memory_format());
    }
    nonfinite_ = io::read_int(a, "nonfinite") != 0
                     ? at::ones({}, at::TensorOptions().dtype(at::kBool).device(params.empty() ? at::kCPU : params[0].device()))
                     : at::Tensor();
  }

  const SgdOptions& options() const { return options_; }

 private:
  /// The update of step(): learning rate `lr`, or `lr_tensor` when it is defined.
  at::Tensor update(const std::vector<at::Tensor>& params, double lr, const at::Tensor& lr_tensor) {
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> used, grads, norms;
    for (const auto& p : params) {
      auto g = p.grad();
      if (!g.defined()) continue;
      if (options_.l2_reg > 0) g.add_(p, 2.0 * options_.l2_reg);
      used.push_back(p);
      grads.push_back(g);
      norms.push_back(g.norm());
    }
    if (used.empty()) return at::zeros({}, at::kFloat);
    const auto norm = at::stack(norms).norm();
    const auto finite = at::isfinite(norm);
    // TF's clip_by_global_norm factor bound / max(norm, bound); zero when the norm is not finite.
    auto coef = options_.grad_bound > 0 ? options_.grad_bound / at::clamp_min(norm, options_.grad_bound)
                                        : at::ones_like(norm);
    coef = at::where(finite, coef, at::zeros_like(coef));
    if (!nonfinite_.defined()) nonfinite_ = at::zeros({}, norm.options().dtype(at::kBool));
    nonfinite_.logical_or_(finite.logical_not());
    for (std::size_t i = 0; i < used.size(); ++i) {
      auto& g = grads[i];
      g.masked_fill_(finite.logical_not(), 0.0).mul_(coef);
      if (options_.momentum > 0) {
        auto& buf = momentum_[used[i].unsafeGetTensorImpl()];
        if (!buf.defined()) buf = at::zeros_like(g);
        buf.mul_(options_.momentum).add_(g);
        descend(used[i], options_.nesterov ? g.add_(buf, options_.momentum) : buf, lr, lr_tensor);
      } else {
        descend(used[i], g, lr, lr_tensor);
      }
      used[i].mutable_grad() = at::Tensor();
    }
    return norm;
  }

  /// p −= lr·d, with lr a host number or (when defined) a device scalar. Both round lr·d to
  /// float before the subtraction (a fused p − lr·d rounds once and differs in the last place),
  /// so the graphed step and the plain one give the same weights.
  static void descend(at::Tensor& p, const at::Tensor& d, double lr, const at::Tensor& lr_tensor) {
    if (lr_tensor.defined()) {
      p.sub_(d * lr_tensor);
    } else {
      p.sub_(d * lr);
    }
  }

  SgdOptions options_;
  std::unordered_map<const void*, at::Tensor> momentum_;
  at::Tensor nonfinite_;
};

}  // namespace enas::optim

#endif  // ENAS_OPTIM_SGD_HPP
