/// @file
/// @brief Adam exactly as TensorFlow 1 applies it, the controller's optimizer in the reference
/// (beta1 = 0, epsilon = 1e-3).
///
/// TF adds epsilon to sqrt(v) *before* the bias correction (its "epsilon hat"); torch::optim::Adam
/// adds it after. With epsilon = 1e-3 the two differ noticeably in early steps, so enas
/// implements TF's form: lr_t = lr·sqrt(1−β2^t)/(1−β1^t); w −= lr_t·m/(sqrt(v) + ε).
#ifndef ENAS_OPTIM_TF_ADAM_HPP
#define ENAS_OPTIM_TF_ADAM_HPP

#include <ATen/ATen.h>
#include <torch/types.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/io/checkpoint.hpp"

namespace enas::optim {

/// Options of TfAdam, named as in tf.train.AdamOptimizer.
struct TfAdamOptions {
  double lr = 1e-3;
  double beta1 = 0.0;
  double beta2 = 0.999;
  double epsilon = 1e-3;
};

/// Adam with TF1 semantics over a fixed list of parameters. Parameters without a gradient are
/// left alone (their moments do not advance).
class TfAdam {
 public:
  TfAdam(std::vector<at::Tensor> params, TfAdamOptions options) : params_(std::move(params)), options_(options) {
    for (const auto& p : params_) {
      m_.push_back(at::zeros_like(p));
      v_.push_back(at::zeros_like(p));
    }
  }

  /// Applies one update from the parameters' .grad() and advances the step counter.
  void step() {
    at::NoGradGuard no_grad;
    ++step_;
    const double t = static_cast<double>(step_);
    const double lr_t =
        options_.lr * std::sqrt(1.0 - std::pow(options_.beta2, t)) / (1.0 - std::pow(options_.beta1, t));
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto& g = params_[i].grad();
      if (!g.defined()) continue;
      m_[i].mul_(options_.beta1).add_(g, 1.0 - options_.beta1);
      v_[i].mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
      params_[i].addcdiv_(m_[i], v_[i].sqrt().add_(options_.epsilon), -lr_t);
    }
  }

  /// Drops all gradients (sets them undefined), so unused parameters stay without one.
  void zero_grad() {
    for (auto& p : params_) p.mutable_grad() = at::Tensor();
  }

  double lr() const { return options_.lr; }
  std::int64_t steps() const { return step_; }

  /// Writes the step counter and both moments of every parameter.
  void save(io::OutputArchive& a) const {
    io::write_int(a, "step", step_);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      io::write_tensor(a, "m" + std::to_string(i), m_[i]);
      io::write_tensor(a, "v" + std::to_string(i), v_[i]);
    }
  }
  void load(io::InputArchive& a) {
    at::NoGradGuard no_grad;
    step_ = io::read_int(a, "step");
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto m = io::read_tensor(a, "m" + std::to_string(i));
      const auto v = io::read_tensor(a, "v" + std::to_string(i));
      if (m.sizes() != m_[i].sizes() || v.sizes() != v_[i].sizes()) {
        throw CheckpointError("controller optimizer state " + std::to_string(i) + " has another shape than the controller");
      }
      m_[i].copy_(m);
      v_[i].copy_(v);
    }
  }

 private:
  std::vector<at::Tensor> params_;
  std::vector<at::Tensor> m_;
  std::vector<at::Tensor> v_;
  TfAdamOptions options_;
  std::int64_t step_ = 0;
};

}  // namespace enas::optim

#endif  // ENAS_OPTIM_TF_ADAM_HPP
