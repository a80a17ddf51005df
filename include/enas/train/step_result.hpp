/// @file
/// @brief What one child training step reports.
#ifndef ENAS_TRAIN_STEP_RESULT_HPP
#define ENAS_TRAIN_STEP_RESULT_HPP

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

namespace enas::train {

/// The result of one child step, as device scalars: read only when a log line needs them, so
/// that the training loop does not wait for the device.
struct StepResult {
  at::Tensor loss;       ///< the logged loss (Σ CE / B for PTB, mean CE for CIFAR)
  at::Tensor grad_norm;  ///< global gradient norm before clipping
  double lr = 0.0;
  at::Tensor correct;    ///< CIFAR: correctly classified training images of the batch
  std::int64_t batch = 0;  ///< CIFAR: images in the batch
  std::string notice;      ///< a one-off warning for the log (a CUDA graph that could not be captured)
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_STEP_RESULT_HPP
