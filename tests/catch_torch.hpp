// Catch2 for test files that include LibTorch. Debian's LibTorch is built with glog, whose
// logging.h defines CHECK (an abort-on-failure macro); Catch2's CHECK must win, or failed checks
// would abort instead of being reported. Include this after the enas and torch headers.
#ifndef ENAS_TESTS_CATCH_TORCH_HPP
#define ENAS_TESTS_CATCH_TORCH_HPP

#include <ATen/ATen.h>

#ifdef CHECK
#undef CHECK
#endif

#include "catch2_compat.hpp"

#include <cstddef>
#include <vector>

namespace enas::test {

/// Checks two runs' recorded numbers pairwise to a relative tolerance, naming each index (the
/// graphed-against-plain step tests).
inline void check_all_close(const std::vector<double>& expected, const std::vector<double>& got, double epsilon) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("value " << i);
    CHECK(got[i] == Approx(expected[i]).epsilon(epsilon));
  }
}

}  // namespace enas::test

#endif  // ENAS_TESTS_CATCH_TORCH_HPP
