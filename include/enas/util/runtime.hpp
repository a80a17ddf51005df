/// @file
/// @brief Process-level settings a training program makes once: intra-op threads, the host
/// allocator, seeds, and the device to run on.
#ifndef ENAS_UTIL_RUNTIME_HPP
#define ENAS_UTIL_RUNTIME_HPP

#include <ATen/Parallel.h>
#include <c10/core/Device.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <cstdint>
#include <string>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "enas/core/error.hpp"

namespace enas {

/// Number of hardware threads (at least 1); the default of every program's --threads.
inline int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

/// Sets LibTorch's intra-op thread count. LibTorch starts with 1 on some builds, so every
/// program sets it on purpose.
inline void set_threads(int threads) {
  if (threads < 1) throw ConfigError("--threads must be at least 1, got " + std::to_string(threads));
  at::set_num_threads(threads);
}

/// Keeps freed host buffers in the process instead of returning them to the OS after every
/// step. With glibc's defaults, each autograd step maps and unmaps its larger temporaries, and
/// the page faults that follow dominate small-op workloads (measured with perf; see
/// docs/performance.md). Raising the mmap and trim thresholds makes the buffers reusable. A no-op
/// on other C libraries.
inline void tune_host_allocator() {
#if defined(__GLIBC__)
  // Serve every allocation from the heap (glibc caps the mmap threshold at 32 MiB, below the
  // size of a PTB softmax), keep up to 1 GiB of freed memory, and grow the heap in 64 MiB steps.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  mallopt(M_TOP_PAD, 64 * 1024 * 1024);
#endif
}

/// Seeds LibTorch's default generators (CPU and, when present, CUDA).
inline void seed_everything(std::uint64_t seed) { torch::manual_seed(seed); }

/// "cuda" when a GPU is usable, else "cpu": the default of every program's --device.
inline std::string default_device_name() { return torch::cuda::is_available() ? "cuda" : "cpu"; }

/// Parses --device ("cpu", "cuda", "cuda:1"); refuses CUDA when no GPU is usable.
inline c10::Device parse_device(const std::string& name) {
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(name);
  } catch (const std::exception&) {
    throw ConfigError("--device '" + name + "' is not a device: expected cpu, cuda or cuda:<index>");
  }
  if (device.is_cuda() && !torch::cuda::is_available()) {
    throw ConfigError("--device " + name + " was requested but no CUDA device is usable; use --device cpu");
  }
  if (!device.is_cpu() && !device.is_cuda()) {
    throw ConfigError("--device '" + name + "' is not supported: expected cpu or cuda");
  }
  return device;
}

}  // namespace enas

#endif  // ENAS_UTIL_RUNTIME_HPP
