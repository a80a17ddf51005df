/// @file
/// @brief A block of work whose random draws depend only on a seed of its own: LibTorch's default
/// generators (the CPU's and the device's) seeded for the block and restored after it.
///
/// Why: a controller phase scores each sample on one rank of a data-parallel run. A score that
/// draws random numbers (the micro search network's dropout runs in every pass) would otherwise
/// consume the generator of one rank only, and the ranks' later draws would part. Seeding every
/// score from a seed all ranks agree on makes it the same wherever it runs, and leaves every
/// rank's generators where they were.
#ifndef ENAS_UTIL_SEED_SCOPE_HPP
#define ENAS_UTIL_SEED_SCOPE_HPP

#include <ATen/Context.h>
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace enas {

/// While alive, the default generators of the CPU and of `device` start from `seed`; their states
/// before are restored when it ends.
class SeedScope {
 public:
  SeedScope(const c10::Device& device, std::uint64_t seed) {
    enter(at::globalContext().defaultGenerator(c10::Device(c10::kCPU)), seed);
    if (!device.is_cpu()) enter(at::globalContext().defaultGenerator(device), seed);
  }
  ~SeedScope() {
    for (auto& [generator, state] : saved_) {
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(state);
    }
  }
  SeedScope(const SeedScope&) = delete;
  SeedScope& operator=(const SeedScope&) = delete;

 private:
  void enter(at::Generator generator, std::uint64_t seed) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    saved_.emplace_back(generator, generator.get_state());
    generator.set_current_seed(seed);
  }

  std::vector<std::pair<at::Generator, at::Tensor>> saved_;
};

}  // namespace enas

#endif  // ENAS_UTIL_SEED_SCOPE_HPP
