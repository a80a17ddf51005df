/// @file
/// @brief Run-time dispatch over a compile-time list of activation types: the sampled cell picks
/// its activations by id at run time, the ids index this table.
#ifndef ENAS_NN_ACTIVATION_KERNELS_HPP
#define ENAS_NN_ACTIVATION_KERNELS_HPP

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <type_traits>

#include "enas/core/type_list.hpp"

namespace enas::nn {

/// The PTB cell node's backward in one pass, for an activation f with a per-value backward:
/// given dL/dn (d), the gate c = σ(c_pre), the pre-activation x, h = f(x) and the node's input p
/// of n = p + c ⊙ (h − p), writes dL/dx = f'(x)·(d ⊙ c) and dL/dc_pre = d ⊙ (h − p) ⊙ (1 − c) ⊙ c
/// into dx and dc and the carry dL/dp = d − d ⊙ c into carry, with the operations and their order
/// of ATen's tanh_backward, threshold_backward and sigmoid_backward (the same values). Returns
/// false, writing nothing, when the tensors do not suit the loops (not all CPU, float or double,
/// 2-D [B, H] with unit column stride); the caller then uses the tensor kernels.
using NodeBackward = bool (*)(const at::Tensor& d, const at::Tensor& c, const at::Tensor& x, const at::Tensor& h,
                              const at::Tensor& p, at::Tensor& dx, at::Tensor& dc, at::Tensor& carry);

/// One activation's forward and backward on tensors, and the fused node backward when the
/// activation has a per-value backward (`scalar_backward`), else null.
struct ActivationKernel {
  std::string_view name;
  at::Tensor (*forward)(const at::Tensor& x);
  at::Tensor (*backward)(const at::Tensor& grad, const at::Tensor& x, const at::Tensor& y);
  NodeBackward node_backward = nullptr;
};

namespace detail {

template <class A, class = void>
struct IsTensorActivation : std::false_type {};
template <class A>
struct IsTensorActivation<
    A, std::void_t<decltype(std::string_view(A::name)),
                   std::enable_if_t<std::is_same_v<decltype(A::forward(std::declval<const at::Tensor&>())), at::Tensor>>,
                   std::enable_if_t<std::is_same_v<decltype(A::backward(std::declval<const at::Tensor&>(),
                                                                        std::declval<const at::Tensor&>(),
                                                                        std::declval<const at::Tensor&>())),
                                                   at::Tensor>>>> : std::true_type {};

/// Whether A has `template <class T> static T scalar_backward(T grad, T x, T y)` (enas::Activation's
/// optional per-value backward).
template <class A, class = void>
struct HasScalarBackward : std::false_type {};
template <class A>
struct HasScalarBackward<A, std::void_t<decltype(A::scalar_backward(0.0f, 0.0f, 0.0f))>>
    : std::is_same<decltype(A::scalar_backward(0.0f, 0.0f, 0.0f)), float> {};

inline bool suits_node_loops(const at::Tensor& ref, std::initializer_list<const at::Tensor*> ts) {
  if (!ref.is_cpu() || !(ref.scalar_type() == at::kFloat || ref.scalar_type() == at::kDouble) || ref.dim() != 2) return false;
  for (const auto* t : ts) {
    if (!t->defined() || !t->is_cpu() || t->scalar_type() != ref.scalar_type() || t->dim() != 2 || t->stride(1) != 1 ||
        t->size(0) != ref.size(0) || t->size(1) != ref.size(1)) {
      return false;
    }
  }
  return true;
}

/// Rows per share when the node backward's loops are split over LibTorch's threads (a PTB batch
/// of 64 rows in up to four); elementwise, so the values do not depend on the split.
inline constexpr std::int64_t kNodeRowGrain = 16;

template <class A, class T>
void node_backward_loops(const at::Tensor& d, const at::Tensor& c, const at::Tensor& x, const at::Tensor& h,
                         const at::Tensor& p, at::Tensor& dx, at::Tensor& dc, at::Tensor& carry) {
  const auto cols = d.size(1);
  const T* pd = d.data_ptr<T>();
  const T* pc = c.data_ptr<T>();
  const T* px = x.data_ptr<T>();
  const T* ph = h.data_ptr<T>();
  const T* pp = p.data_ptr<T>();
  T* pdx = dx.data_ptr<T>();
  T* pdc = dc.data_ptr<T>();
  T* pk = carry.data_ptr<T>();
  at::parallel_for(0, d.size(0), kNodeRowGrain, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const T* dr = pd + r * d.stride(0);
      const T* cr = pc + r * c.stride(0);
      const T* xr = px + r * x.stride(0);
      const T* hr = ph + r * h.stride(0);
      const T* pr = pp + r * p.stride(0);
      T* dxr = pdx + r * dx.stride(0);
      T* dcr = pdc + r * dc.stride(0);
      T* kr = pk + r * carry.stride(0);
      for (std::int64_t k = 0; k < cols; ++k) {
        const T dd = dr[k], cc = cr[k], hh = hr[k];
        const T d_h = dd * cc;
        dxr[k] = A::scalar_backward(d_h, xr[k], hh);
        dcr[k] = dd * (hh - pr[k]) * (T(1) - cc) * cc;
        kr[k] = dd - d_h;
      }
    }
  });
}

template <class A>
bool node_backward(const at::Tensor& d, const at::Tensor& c, const at::Tensor& x, const at::Tensor& h, const at::Tensor& p,
                   at::Tensor& dx, at::Tensor& dc, at::Tensor& carry) {
  if (!suits_node_loops(d, {&d, &c, &x, &h, &p, &dx, &dc, &carry})) return false;
  if (d.scalar_type() == at::kFloat) {
    node_backward_loops<A, float>(d, c, x, h, p, dx, dc, carry);
  } else {
    node_backward_loops<A, double>(d, c, x, h, p, dx, dc, carry);
  }
  return true;
}

}  // namespace detail

/// True when A models enas::Activation on at::Tensor.
template <class A>
inline constexpr bool is_activation_v = detail::IsTensorActivation<A>::value;

/// The kernel table of a TypeList of activations, in list order (ids = positions).
template <class List>
const auto& activation_kernels() {
  static const auto table = make_type_table(List{}, [](auto tag) {
    using A = typename decltype(tag)::type;
    static_assert(is_activation_v<A>,
                  "enas: every activation type must model enas::Activation: `static constexpr std::string_view name`, "
                  "`static T forward(const T& x)` and `static T backward(const T& grad, const T& x, const T& y)`");
    NodeBackward fused = nullptr;
    if constexpr (detail::HasScalarBackward<A>::value) fused = &detail::node_backward<A>;
    return ActivationKernel{A::name, [](const at::Tensor& x) { return A::forward(x); },
                            [](const at::Tensor& g, const at::Tensor& x, const at::Tensor& y) {
                              return A::backward(g, x, y);
                            },
                            fused};
  });
  return table;
}

}  // namespace enas::nn

#endif  // ENAS_NN_ACTIVATION_KERNELS_HPP
