// Catch2 2 (Debian 12) or Catch2 3 (Debian 13) behind one include. The tests use the Catch2 2
// spelling; under Catch2 3 this header supplies the two names that moved: `Approx` (now
// `Catch::Approx`) and the substring matcher (now `ContainsSubstring`), as `enas::test::Contains`.
#ifndef ENAS_TESTS_CATCH2_COMPAT_HPP
#define ENAS_TESTS_CATCH2_COMPAT_HPP

#include <string>

#if __has_include(<catch2/catch_test_macros.hpp>)
#define ENAS_CATCH2_MAJOR 3
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
using Catch::Approx;
namespace enas::test {
inline auto Contains(const std::string& text) { return Catch::Matchers::ContainsSubstring(text); }
}  // namespace enas::test
#else
#define ENAS_CATCH2_MAJOR 2
#include <catch2/catch.hpp>
namespace enas::test {
inline auto Contains(const std::string& text) { return Catch::Matchers::Contains(text); }
}  // namespace enas::test
#endif

#endif  // ENAS_TESTS_CATCH2_COMPAT_HPP
