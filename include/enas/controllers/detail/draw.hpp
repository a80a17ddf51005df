/// @file
/// @brief Categorical and Bernoulli draws from a torch CPU generator by inverse CDF. Both
/// controller paths (batched tensors and the host fast path) draw through these, in the same
/// order, so that one seed gives one architecture whichever path runs.
#ifndef ENAS_CONTROLLERS_DETAIL_DRAW_HPP
#define ENAS_CONTROLLERS_DETAIL_DRAW_HPP

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>

#include <cstdint>
#include <mutex>

namespace enas::controllers::detail {

/// A uniform double in [0, 1) with 53 random bits.
inline double draw_uniform(at::Generator& generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  const std::uint64_t bits = generator.get<at::CPUGeneratorImpl>()->random64();
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

/// Index j of a categorical distribution p[0..m): the first j whose cumulative mass exceeds a
/// uniform draw. Rounding that leaves the total below the draw picks the last positive entry.
template <class Real>
int draw_categorical(const Real* p, int m, at::Generator& generator) {
  const double u = draw_uniform(generator);
  double cumulative = 0.0;
  int last_positive = 0;
  for (int j = 0; j < m; ++j) {
    if (p[j] > 0) last_positive = j;
    cumulative += static_cast<double>(p[j]);
    if (u < cumulative) return j;
  }
  return last_positive;
}

/// A Bernoulli draw with success probability p.
inline bool draw_bernoulli(double p, at::Generator& generator) { return draw_uniform(generator) < p; }

}  // namespace enas::controllers::detail

#endif  // ENAS_CONTROLLERS_DETAIL_DRAW_HPP
