/// @file
/// @brief The child optimizer of the reference: (momentum) SGD on `loss + l2·Σw²` with gradients
/// clipped to a global norm, and non-finite steps skipped and counted, all without a host
/// synchronisation.
#ifndef ENAS_OPTIM_SGD_HPP
#define ENAS_OPTIM_SGD_HPP

#include <ATen/ATen.h>

#include <cstdint>
#include <limits>
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

/// Skipped (non-finite) steps since the last look: how many, and the longest run in a row.
struct NonFiniteSteps {
  std::int64_t skipped = 0;
  std::int64_t longest = 0;
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
  /// (the reference's logged |g|) as a device scalar. A step whose gradient norm (or `loss`, when
  /// given) is not finite is skipped on the device, without a host read: the parameters and
  /// momentum buffers keep their values, and the step is counted (take_nonfinite()).
  at::Tensor step(const std::vector<at::Tensor>& params, double lr, const at::Tensor& loss = {}) {
    return update(params, lr, at::Tensor(), loss);
  }

  /// The same update with the learning rate a device scalar (float, on the parameters' device),
  /// so that a step recorded in a CUDA graph reads this step's rate when it is replayed. Every
  /// state tensor is updated in place, as a replayed graph requires.
  at::Tensor step(const std::vector<at::Tensor>& params, const at::Tensor& lr, const at::Tensor& loss = {}) {
    return update(params, 0.0, lr, loss);
  }

  /// Whether the last step was applied (a device bool; false: it was skipped as non-finite).
  const at::Tensor& last_step_finite() const { return finite_; }

  /// Steps skipped since the last call, and the longest run of them in a row that went on since
  /// then (a run that began before the last call counts whole). One host read.
  NonFiniteSteps take_nonfinite() {
    if (!skipped_.defined()) return {};
    const auto packed = (longest_ * (std::int64_t{1} << 32) + skipped_).item<std::int64_t>();
    skipped_.zero_();
    longest_.zero_();  // run_ goes on: a run that continues past this call counts whole later
    return {packed & 0xffffffff, packed >> 32};
  }

  /// Makes the next step's gradient not finite, as a fault would (tests of the recovery).
  void inject_nonfinite() { inject_ = true; }

  /// Writes the momentum buffers of `params` (by position) and the count of skipped steps.
  void save(io::OutputArchive& a, const std::vector<at::Tensor>& params) const {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto it = momentum_.find(params[i].unsafeGetTensorImpl());
      if (it != momentum_.end()) io::write_tensor(a, "momentum" + std::to_string(i), it->second);
    }
    if (skipped_.defined()) io::write_tensor(a, "nonfinite_steps", at::stack({skipped_, run_, longest_}));
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
    skipped_ = run_ = longest_ = at::Tensor();
    if (io::has_key(a, "nonfinite_steps")) {  // absent in checkpoints of earlier versions
      const auto counts = io::read_tensor(a, "nonfinite_steps");
      if (counts.sizes() != at::IntArrayRef{3} || counts.scalar_type() != at::kLong) {
        throw CheckpointError("checkpoint entry 'nonfinite_steps' is not 3 integers");
      }
      const auto device = params.empty() ? at::Device(at::kCPU) : params[0].device();
      allocate_counts(device);
      skipped_.copy_(counts[0]);
      run_.copy_(counts[1]);
      longest_.copy_(counts[2]);
    }
  }

  const SgdOptions& options() const { return options_; }

 private:
  /// The update of step(): learning rate `lr`, or `lr_tensor` when it is defined.
  at::Tensor update(const std::vector<at::Tensor>& params, double lr, const at::Tensor& lr_tensor,
                    const at::Tensor& loss) {
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> used, grads, norms;
    for (const auto& p : params) {
      auto g = p.grad();
      if (!g.defined()) continue;
      if (options_.l2_reg > 0) g.add_(p, 2.0 * options_.l2_reg);
      if (inject_) {
        g.fill_(std::numeric_limits<double>::quiet_NaN());
        inject_ = false;
      }
      used.push_back(p);
      grads.push_back(g);
      norms.push_back(g.norm());
    }
    if (used.empty()) {  // nothing to update: an applied (empty) step
      finite_ = at::ones({}, at::TensorOptions().dtype(at::kBool).device(params.empty() ? at::kCPU : params[0].device()));
      return at::zeros({}, at::kFloat);
    }
    const auto norm = at::stack(norms).norm();
    auto finite = at::isfinite(norm);
    if (loss.defined()) finite = finite.logical_and(at::isfinite(loss.detach()).to(finite.device()));
    count(finite);
    const auto bad = finite.logical_not();
    // TF's clip_by_global_norm factor bound / max(norm, bound); zero when the norm is not finite.
    auto coef = options_.grad_bound > 0 ? options_.grad_bound / at::clamp_min(norm, options_.grad_bound)
                                        : at::ones_like(norm);
    coef = at::where(finite, coef, at::zeros_like(coef));
    // A skipped step must leave the momentum buffers and the weights as they were: the buffers
    // keep their value (factor 1, gradient 0), and the rate is zero (d·0 rounds like d·lr).
    at::Tensor momentum, rate = lr_tensor;
    if (options_.momentum > 0) {
      momentum = at::where(finite, at::full({}, options_.momentum, norm.options()), at::ones_like(norm));
      rate = (lr_tensor.defined() ? lr_tensor : at::full({}, lr, norm.options())).masked_fill(bad, 0.0);
    }
    for (std::size_t i = 0; i < used.size(); ++i) {
      auto& g = grads[i];
      g.masked_fill_(bad, 0.0).mul_(coef);
      if (options_.momentum > 0) {
        auto& buf = momentum_[used[i].unsafeGetTensorImpl()];
        if (!buf.defined()) buf = at::zeros_like(g);
        buf.mul_(momentum).add_(g);
        descend(used[i], options_.nesterov ? g.add_(buf, options_.momentum) : buf, lr, rate);
      } else {
        descend(used[i], g, lr, lr_tensor);
      }
      used[i].mutable_grad() = at::Tensor();
    }
    return norm;
  }

  void allocate_counts(const at::Device& device) {
    const auto opts = at::TensorOptions().dtype(at::kLong).device(device);
    skipped_ = at::zeros({}, opts);
    run_ = at::zeros({}, opts);
    longest_ = at::zeros({}, opts);
  }

  /// Counts a skipped step on the device: the total, the run in a row, the longest run.
  void count(const at::Tensor& finite) {
    if (!skipped_.defined()) allocate_counts(finite.device());
    finite_ = finite;
    const auto bad = finite.logical_not().to(at::kLong);
    skipped_.add_(bad);
    run_.add_(bad).mul_(bad);
    longest_.copy_(at::maximum(longest_, run_));
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
  at::Tensor finite_;                   // whether the last step was applied
  at::Tensor skipped_, run_, longest_;  // skipped steps: since the last take, in a row, longest run
  bool inject_ = false;
};

}  // namespace enas::optim

#endif  // ENAS_OPTIM_SGD_HPP
