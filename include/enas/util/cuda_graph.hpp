/// @file
/// @brief A training step recorded once as a CUDA graph and replayed: one launch for the whole
/// forward, backward and update of a fixed architecture, instead of hundreds of small kernels
/// each waiting on the host. Eager on the CPU, in builds without CUDA, or when capture fails.
#ifndef ENAS_UTIL_CUDA_GRAPH_HPP
#define ENAS_UTIL_CUDA_GRAPH_HPP

#include <c10/core/Device.h>
#include <c10/util/Exception.h>

#include <memory>
#include <string>
#include <utility>

#include "enas/util/cuda.hpp"

#if defined(ENAS_WITH_CUDA) && ENAS_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace enas::cuda {

/// Runs a step that does only device work on tensors that outlive it (its static inputs, the
/// parameters, the optimizer state, its outputs): the caller copies each step's data into the
/// static inputs, calls run(), and reads the static outputs. The first `warmup` runs are eager on
/// a side stream (capture needs the lazily made state, such as momentum buffers and library
/// handles, to exist); the next one is captured and every later one replays the graph. A step
/// that cannot be captured (a host read, a shape that changes) runs eagerly from then on, and
/// take_notice() returns, once, the message that says so.
///
/// Requirements on the step: no host synchronisation (item(), a copy to the host), the same
/// shapes and the same host-side choices every time, random numbers only from LibTorch's
/// default CUDA generator, and host scalars that change between steps (the learning rate) passed
/// as device tensors.
class GraphedStep {
 public:
  explicit GraphedStep(bool enabled, int warmup = 3) : enabled_(enabled), warmup_(warmup) {}
  GraphedStep(const GraphedStep&) = delete;
  GraphedStep& operator=(const GraphedStep&) = delete;
  GraphedStep(GraphedStep&&) = default;
  GraphedStep& operator=(GraphedStep&&) = default;

  /// The message of a capture that failed since the last call (empty if none), for the run log.
  std::string take_notice() { return std::exchange(notice_, std::string()); }

  /// Whether the step is replayed from a captured graph now.
  bool captured() const { return captured_; }
  /// Whether run() will try (or has managed) to use a graph on `device`.
  bool active_on(const c10::Device& device) const { return enabled_ && kCompiledIn && device.is_cuda() && !failed_; }

  /// Runs `step` once: eagerly, or captured, or replayed (see the class comment).
  template <class Step>
  void run(const c10::Device& device, Step&& step) {
    if (!active_on(device)) {
      step();
      return;
    }
#if defined(ENAS_WITH_CUDA) && ENAS_WITH_CUDA
    if (captured_) {
      graph_->replay();
      return;
    }
    c10::cuda::CUDAGuard device_guard(device);
    const auto main = c10::cuda::getCurrentCUDAStream();
    auto side = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index());
    at::cuda::CUDAEvent ready;
    ready.record(main);
    ready.block(side);
    if (runs_ < warmup_) {
      {
        c10::cuda::CUDAStreamGuard on_side(side);
        step();
      }
      ++runs_;
    } else {
      graph_ = std::make_unique<at::cuda::CUDAGraph>();
      std::string why;
      try {
        c10::cuda::CUDAStreamGuard on_side(side);
        graph_->capture_begin();
        step();
        graph_->capture_end();
        captured_ = true;
      } catch (const c10::Error& e) {
        why = e.what_without_backtrace();
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (!captured_) {
        try {
          graph_->capture_end();  // ends a capture the step broke off (it reports the broken capture)
        } catch (...) {
        }
        graph_.reset();
        failed_ = true;
        notice_ = "CUDA graph capture of the training step failed (" + why + "); running it eagerly";
        c10::cuda::CUDAStreamGuard on_side(side);
        step();  // the captured attempt did not run on the device
      }
    }
    at::cuda::CUDAEvent done;
    done.record(side);
    done.block(main);
    if (captured_) graph_->replay();  // the capture recorded the step without running it
#endif
  }

 private:
  bool enabled_;
  int warmup_;
  std::string notice_;
  int runs_ = 0;
  bool captured_ = false;
  bool failed_ = false;
#if defined(ENAS_WITH_CUDA) && ENAS_WITH_CUDA
  std::unique_ptr<at::cuda::CUDAGraph> graph_;
#endif
};

}  // namespace enas::cuda

#endif  // ENAS_UTIL_CUDA_GRAPH_HPP
