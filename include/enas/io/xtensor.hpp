/// @file
/// @brief The one place enas includes xtensor (host-side arrays: token streams, image buffers),
/// and the bridge from an xtensor container to a LibTorch tensor. xtensor 0.24 (Debian 12) has
/// flat include paths; 0.25+ moved them into subfolders; both are handled here.
#ifndef ENAS_IO_XTENSOR_HPP
#define ENAS_IO_XTENSOR_HPP

#if __has_include(<xtensor/containers/xtensor.hpp>)
#include <xtensor/containers/xadapt.hpp>
#include <xtensor/containers/xtensor.hpp>
#include <xtensor/views/xview.hpp>
#else
#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#endif

#include <ATen/ATen.h>

#include <cstdint>
#include <type_traits>
#include <vector>

#include "enas/util/cuda.hpp"

namespace enas::io {

namespace detail {
template <class T>
constexpr at::ScalarType scalar_type_of() {
  if constexpr (std::is_same_v<T, float>) return at::kFloat;
  else if constexpr (std::is_same_v<T, double>) return at::kDouble;
  else if constexpr (std::is_same_v<T, std::int64_t>) return at::kLong;
  else if constexpr (std::is_same_v<T, std::int32_t>) return at::kInt;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return at::kByte;
  else static_assert(!sizeof(T), "enas::io::to_tensor: unsupported element type");
}
}  // namespace detail

/// Copies a contiguous (row-major) xtensor container into a new tensor on `device`: one copy on
/// the CPU; to a GPU through pinned memory, without waiting for the transfer (cuda::to_device).
template <class T, std::size_t N>
at::Tensor to_tensor(const xt::xtensor<T, N>& a, const at::Device& device) {
  std::vector<std::int64_t> shape(a.shape().begin(), a.shape().end());
  auto host = at::from_blob(const_cast<T*>(a.data()), shape, at::TensorOptions().dtype(detail::scalar_type_of<T>()));
  return device.is_cpu() ? host.clone() : cuda::to_device(host, device);
}

}  // namespace enas::io

#endif  // ENAS_IO_XTENSOR_HPP
