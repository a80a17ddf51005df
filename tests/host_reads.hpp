// Counts the reads from the device to the host that LibTorch performs on this thread while a
// HostReads is alive, by observing its operators (RecordFunction), not the code under test:
// every item() or bool conversion (aten::_local_scalar_dense, on any device: on the CPU it
// stands for the read it would be on a GPU) and every copy from a non-CPU device into a CPU
// tensor (aten::copy_). Pointer reads of CPU tensors (data_ptr) are not operators and are not
// seen: they are host work that never waits for a device.
#ifndef ENAS_TESTS_HOST_READS_HPP
#define ENAS_TESTS_HOST_READS_HPP

#include <ATen/record_function.h>

#include <cstring>
#include <memory>

namespace enas::test {

class HostReads {
 public:
  HostReads() {
    count() = 0;
    handle_ = at::addThreadLocalCallback(
        at::RecordFunctionCallback(&on_enter).needsInputs(true).scopes({at::RecordScope::FUNCTION}));
  }
  ~HostReads() { at::removeCallback(handle_); }
  HostReads(const HostReads&) = delete;
  HostReads& operator=(const HostReads&) = delete;

  /// Reads seen since construction (or the last reset()).
  long reads() const { return count(); }
  void reset() { count() = 0; }

 private:
  static long& count() {
    thread_local long n = 0;
    return n;
  }
  static std::unique_ptr<at::ObserverContext> on_enter(const at::RecordFunction& fn) {
    const char* name = fn.name();
    if (std::strcmp(name, "aten::_local_scalar_dense") == 0) {
      ++count();
    } else if (std::strcmp(name, "aten::copy_") == 0 && fn.num_inputs() >= 2) {
      const auto inputs = fn.inputs();
      if (inputs[0].isTensor() && inputs[1].isTensor() && inputs[0].toTensor().is_cpu() &&
          !inputs[1].toTensor().is_cpu()) {
        ++count();
      }
    }
    return nullptr;
  }

  at::CallbackHandle handle_;
};

}  // namespace enas::test

#endif  // ENAS_TESTS_HOST_READS_HPP
