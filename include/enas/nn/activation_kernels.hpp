/// @file
/// @brief Run-time dispatch over a compile-time list of activation types: the sampled cell picks
/// its activations by id at run time, the ids index this table.
#ifndef ENAS_NN_ACTIVATION_KERNELS_HPP
#define ENAS_NN_ACTIVATION_KERNELS_HPP

#include <ATen/ATen.h>

#include <array>
#include <string_view>
#include <type_traits>

#include "enas/core/type_list.hpp"

namespace enas::nn {

/// One activation's forward and backward on tensors.
struct ActivationKernel {
  std::string_view name;
  at::Tensor (*forward)(const at::Tensor& x);
  at::Tensor (*backward)(const at::Tensor& grad, const at::Tensor& x, const at::Tensor& y);
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
    return ActivationKernel{A::name, [](const at::Tensor& x) { return A::forward(x); },
                            [](const at::Tensor& g, const at::Tensor& x, const at::Tensor& y) {
                              return A::backward(g, x, y);
                            }};
  });
  return table;
}

}  // namespace enas::nn

#endif  // ENAS_NN_ACTIVATION_KERNELS_HPP
