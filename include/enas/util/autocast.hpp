/// @file
/// @brief Mixed precision for the child networks: a scope in which LibTorch's autocast runs the
/// matrix products and convolutions in bfloat16 on the device of the model (CPU or CUDA), with
/// the 1.13 and the 2.x spelling of the autocast API behind one guard.
#ifndef ENAS_UTIL_AUTOCAST_HPP
#define ENAS_UTIL_AUTOCAST_HPP

#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <torch/version.h>

namespace enas {

/// While alive, autocast to `dtype` on `device`'s type (when `enabled`). bfloat16 has float's
/// exponent range, so the loss needs no scaling (float16 would; enas does not offer it). Weights,
/// gradients and optimizer state stay float: autocast casts copies of the weights for each
/// product, and the cache of those copies is cleared when the outermost scope ends, because the
/// weights change after every step. Nested guards and a disabled guard leave the state as it was.
class AutocastScope {
 public:
  AutocastScope(const c10::Device& device, bool enabled, c10::ScalarType dtype = c10::kBFloat16)
      : type_(device.type()), active_(enabled && (device.is_cpu() || device.is_cuda())) {
    if (!active_) return;
    was_enabled_ = is_enabled(type_);
    was_dtype_ = get_dtype(type_);
    set_enabled(type_, true);
    set_dtype(type_, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_enabled(type_, was_enabled_);
    set_dtype(type_, was_dtype_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
#if TORCH_VERSION_MAJOR >= 2 && (TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 4)
  // 2.4 and later: one API keyed by device type (the per-device functions are deprecated).
  static bool is_enabled(c10::DeviceType t) { return at::autocast::is_autocast_enabled(t); }
  static void set_enabled(c10::DeviceType t, bool on) { at::autocast::set_autocast_enabled(t, on); }
  static c10::ScalarType get_dtype(c10::DeviceType t) { return at::autocast::get_autocast_dtype(t); }
  static void set_dtype(c10::DeviceType t, c10::ScalarType d) { at::autocast::set_autocast_dtype(t, d); }
#else
  // 1.13 to 2.3: separate CPU and CUDA ("gpu") functions.
  static bool is_enabled(c10::DeviceType t) {
    return t == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
  }
  static void set_enabled(c10::DeviceType t, bool on) {
    if (t == c10::DeviceType::CPU) {
      at::autocast::set_cpu_enabled(on);
    } else {
      at::autocast::set_enabled(on);
    }
  }
  static c10::ScalarType get_dtype(c10::DeviceType t) {
    return t == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
  }
  static void set_dtype(c10::DeviceType t, c10::ScalarType d) {
    if (t == c10::DeviceType::CPU) {
      at::autocast::set_autocast_cpu_dtype(d);
    } else {
      at::autocast::set_autocast_gpu_dtype(d);
    }
  }
#endif

  c10::DeviceType type_;
  bool active_;
  bool was_enabled_ = false;
  c10::ScalarType was_dtype_ = c10::kBFloat16;
};

}  // namespace enas

#endif  // ENAS_UTIL_AUTOCAST_HPP
