/// @file
/// @brief What enas does differently when the device is a CUDA GPU: host tensors reach it through
/// pinned memory with non-blocking copies, cuDNN picks its fastest convolution algorithms, and
/// timing waits for the device. On the CPU each of these is the plain operation.
#ifndef ENAS_UTIL_CUDA_HPP
#define ENAS_UTIL_CUDA_HPP

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <c10/core/Device.h>
#include <torch/cuda.h>

namespace enas::cuda {

/// True when this build compiled the CUDA code paths (a LibTorch with CUDA: ENAS_WITH_CUDA, set
/// by enas's CMake package). Without them a CUDA device still works, with every step eager.
#if defined(ENAS_WITH_CUDA) && ENAS_WITH_CUDA
inline constexpr bool kCompiledIn = true;
#else
inline constexpr bool kCompiledIn = false;
#endif

/// `host` (a CPU tensor) on `device`. To a GPU it goes through page-locked memory with a
/// non-blocking copy, so the host does not wait for the transfer; LibTorch's pinned allocator
/// keeps the staging buffer until the copy has finished. To the CPU: `host` itself.
inline at::Tensor to_device(const at::Tensor& host, const c10::Device& device) {
  if (!device.is_cuda()) return host.to(device);
  return host.pin_memory().to(device, /*non_blocking=*/true);
}

/// cuDNN's benchmark mode: for each new convolution shape, time the algorithms once and keep the
/// fastest. The CIFAR child networks see a handful of shapes (the micro and macro layers at three
/// resolutions), so the search pays the timing a few times and then runs faster.
inline void set_cudnn_benchmark(bool on) { at::globalContext().setBenchmarkCuDNN(on); }

/// Waits for the device's queued work (timing only; the training loops never call it).
inline void synchronize(const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

}  // namespace enas::cuda

#endif  // ENAS_UTIL_CUDA_HPP
