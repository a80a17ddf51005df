/// @file
/// @brief Activation functions as types: the PTB cell's candidate nonlinearities.
///
/// An activation models enas::Activation when it has
///   - `static constexpr std::string_view name`, used in logs and pictures;
///   - `template <class T> static T forward(const T& x)`;
///   - `template <class T> static T backward(const T& grad, const T& x, const T& y)`, the gradient
///     with respect to x given the input x and the output y = forward(x);
///   - optionally `template <class T> static T scalar_backward(T grad, T x, T y)`, the same for
///     one value, which lets the PTB cell fuse a node's whole backward into one pass on the CPU.
/// The functions are templates over the tensor type, so this header needs no torch include; the
/// built-in backward passes call ATen's fused kernels found by argument-dependent lookup.
/// Models: Tanh, ReLU, Identity, Sigmoid (the reference's ids 0, 1, 2, 3 in that order).
#ifndef ENAS_CORE_ACTIVATIONS_HPP
#define ENAS_CORE_ACTIVATIONS_HPP

#include <string_view>

namespace enas {

/// tanh; the reference's activation 0.
struct Tanh {
  static constexpr std::string_view name = "tanh";
  template <class T>
  static T forward(const T& x) {
    return x.tanh();
  }
  template <class T>
  static T backward(const T& grad, const T& /*x*/, const T& y) {
    return tanh_backward(grad, y);  // grad * (1 - y^2) in one kernel
  }
  template <class T>
  static T scalar_backward(T grad, T /*x*/, T y) {
    return grad * (T(1) - y * y);
  }
};

/// max(x, 0); the reference's activation 1.
struct ReLU {
  static constexpr std::string_view name = "relu";
  template <class T>
  static T forward(const T& x) {
    return x.relu();
  }
  template <class T>
  static T backward(const T& grad, const T& /*x*/, const T& y) {
    return threshold_backward(grad, y, 0);  // y > 0 exactly where x > 0
  }
  template <class T>
  static T scalar_backward(T grad, T /*x*/, T y) {
    return y <= T(0) ? T(0) : grad;
  }
};

/// The identity; the reference's activation 2.
struct Identity {
  static constexpr std::string_view name = "identity";
  template <class T>
  static T forward(const T& x) {
    return x;
  }
  template <class T>
  static T backward(const T& grad, const T& /*x*/, const T& /*y*/) {
    return grad;
  }
  template <class T>
  static T scalar_backward(T grad, T /*x*/, T /*y*/) {
    return grad;
  }
};

/// The logistic function; the reference's activation 3.
struct Sigmoid {
  static constexpr std::string_view name = "sigmoid";
  template <class T>
  static T forward(const T& x) {
    return x.sigmoid();
  }
  template <class T>
  static T backward(const T& grad, const T& /*x*/, const T& y) {
    return sigmoid_backward(grad, y);  // grad * y * (1 - y) in one kernel
  }
  template <class T>
  static T scalar_backward(T grad, T /*x*/, T y) {
    return grad * (T(1) - y) * y;
  }
};

}  // namespace enas

#endif  // ENAS_CORE_ACTIVATIONS_HPP
