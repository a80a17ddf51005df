/// @file
/// @brief One description per options struct: each field's flag name, member, help, bound and
/// role, written once. The programs' command lines, the configuration a checkpoint records and
/// `validate()` are all read from it, so a flag cannot be renamed or re-bounded in one of them and
/// not the others.
///
/// An options struct `O` describes itself with
/// @code{.cpp}
/// static constexpr auto fields() {
///   return std::make_tuple(enas::option::field("batch_size", &O::batch_size, "minibatch size",
///                                              enas::option::at_least(1)), ...);
/// }
/// @endcode
#ifndef ENAS_CORE_OPTION_TABLE_HPP
#define ENAS_CORE_OPTION_TABLE_HPP

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "enas/core/error.hpp"

namespace enas::option {

/// The values a numeric option may take: an interval whose ends are open, closed or absent.
struct Bound {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  constexpr bool holds(double v) const {
    const bool above_lo = lo_open ? v > lo : v >= lo;
    const bool below_hi = hi_open ? v < hi : v <= hi;
    return above_lo && below_hi;  // false for NaN
  }
  constexpr bool bounded() const {
    return lo != -std::numeric_limits<double>::infinity() || hi != std::numeric_limits<double>::infinity();
  }

  /// ">= 1", "> 0", "in (0, 1]", "in [0, 32]"; empty when unbounded.
  std::string describe() const {
    const auto num = [](double v) {
      std::ostringstream s;
      s << v;
      return s.str();
    };
    constexpr double inf = std::numeric_limits<double>::infinity();
    if (lo == -inf && hi == inf) return {};
    if (hi == inf) return (lo_open ? "> " : ">= ") + num(lo);
    if (lo == -inf) return (hi_open ? "< " : "<= ") + num(hi);
    return std::string("in ") + (lo_open ? "(" : "[") + num(lo) + ", " + num(hi) + (hi_open ? ")" : "]");
  }
};

/// Any value.
constexpr Bound any() { return {}; }
/// v >= lo.
constexpr Bound at_least(double lo) { return {lo, std::numeric_limits<double>::infinity(), false, false}; }
/// v > lo.
constexpr Bound above(double lo) { return {lo, std::numeric_limits<double>::infinity(), true, false}; }
/// lo <= v <= hi.
constexpr Bound within(double lo, double hi) { return {lo, hi, false, false}; }
/// lo < v <= hi (a keep probability: (0, 1]).
constexpr Bound above_up_to(double lo, double hi) { return {lo, hi, true, false}; }

/// Whether a field shapes the run (recorded in a checkpoint's configuration, so that resuming
/// with another value is refused by name) or only controls it (epochs, logging, evaluation batch:
/// free to change between a run and its resume).
enum class Role { kShapesRun, kRunControl };

/// One option: `--flag` sets `member` of `Owner`; `help` is its one-line description.
template <class Owner, class T>
struct Field {
  static_assert(std::is_same_v<T, bool> || std::is_arithmetic_v<T>,
                "an option is a bool or a number; strings and paths belong to the programs");
  using owner_type = Owner;
  using value_type = T;
  const char* flag;
  T Owner::*member;
  const char* help;
  Bound bound;
  Role role;
  unsigned tags;  ///< kSearchOnly, kFinalOnly and the owner's own bits: which programs offer the flag

  constexpr T& of(Owner& o) const { return o.*member; }
  constexpr const T& of(const Owner& o) const { return o.*member; }
};

/// Tag of a field that only a search program offers (a final run has no controller and derives
/// nothing). Owners define their own tags from bit 2 up.
inline constexpr unsigned kSearchOnly = 1u << 0;
/// Tag of a field that only a final (fixed-architecture) program offers.
inline constexpr unsigned kFinalOnly = 1u << 1;

/// A field that shapes the run.
template <class Owner, class T>
constexpr Field<Owner, T> field(const char* flag, T Owner::*member, const char* help, Bound bound = any(),
                                unsigned tags = 0) {
  return {flag, member, help, bound, Role::kShapesRun, tags};
}

/// A field that only controls the run.
template <class Owner, class T>
constexpr Field<Owner, T> control(const char* flag, T Owner::*member, const char* help, Bound bound = any(),
                                  unsigned tags = 0) {
  return {flag, member, help, bound, Role::kRunControl, tags};
}

namespace detail {
template <class, class = void>
struct HasFields : std::false_type {};
template <class O>
struct HasFields<O, std::void_t<decltype(O::fields())>> : std::true_type {};
}  // namespace detail

/// True when O describes its fields (`static constexpr auto fields()`).
template <class O>
inline constexpr bool is_described_v = detail::HasFields<O>::value;

/// Calls `f(field)` for every field of O, in the order O lists them.
template <class O, class F>
void for_each_field(F&& f) {
  static_assert(is_described_v<O>, "the options type must describe itself with static constexpr auto fields()");
  std::apply([&](const auto&... fields) { (f(fields), ...); }, O::fields());
}

/// The field whose flag is `flag`, given to `f`; false when O has none.
template <class O, class F>
bool visit_field(const std::string& flag, F&& f) {
  bool found = false;
  for_each_field<O>([&](const auto& field) {
    if (!found && flag == field.flag) {
      found = true;
      f(field);
    }
  });
  return found;
}

/// Text of a value as a flag would take it.
template <class T>
std::string value_text(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else {
    std::ostringstream s;
    s << v;
    return s.str();
  }
}

/// Throws ConfigError "--flag=value: expected <bound> (help)" for the first field of `o` outside
/// its bound.
template <class O>
void check_bounds(const O& o) {
  for_each_field<O>([&](const auto& field) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    if constexpr (!std::is_same_v<T, bool>) {
      const T v = field.of(o);
      if (!field.bound.holds(static_cast<double>(v))) {
        throw ConfigError("--" + std::string(field.flag) + "=" + value_text(v) + ": expected " + field.bound.describe() +
                          " (" + field.help + ")");
      }
    }
  });
}

/// Throws ConfigError "--flag=value: <expected>" when `ok` is false: a rule between fields, or
/// one that an interval cannot say.
template <class T>
void require(bool ok, const char* flag, T value, const std::string& expected) {
  if (!ok) throw ConfigError("--" + std::string(flag) + "=" + value_text(value) + ": " + expected);
}

}  // namespace enas::option

#endif  // ENAS_CORE_OPTION_TABLE_HPP
