/// @file
/// @brief The concepts of enas, with their required members and their models.
///
/// C++17 is the floor: the requirements are detection traits (core/traits.hpp) checked by
/// `static_assert`s at the top of every class template that takes a policy. Under C++20 the same
/// traits also become real concepts, so constrained templates report the failing requirement.
///
/// **SearchSpace** — a stateless policy type describing what can be searched.
///   Required: `name` (string_view); `Arch` (the decoded architecture); `num_tokens` (int);
///   `program` (constexpr std::array<Instruction, N>: the controller's decisions);
///   `controller_layout` (ControllerLayout); `decode(std::vector<int>) -> Arch` (validating);
///   `encode(Arch) -> std::vector<int>`; `describe_token(int)` and `token_count_rule()` for error
///   messages; `controller_defaults() -> ControllerOptions` (the reference script's values).
///   Models: spaces::PtbCell<N, Activations...>.
///
/// **Controller** — samples architectures of its space and learns from rewards.
///   Required: `space_type`; `is_trainable` (constexpr bool); `sample(int n)`; `update(...)`.
///   Models: controllers::Lstm<Space>, controllers::Random<Space>.
///
/// **Activation** — a nonlinearity of the PTB cell (core/activations.hpp).
#ifndef ENAS_CORE_CONCEPTS_HPP
#define ENAS_CORE_CONCEPTS_HPP

#include "enas/core/traits.hpp"

#if defined(__cpp_concepts) && __cpp_concepts >= 201907L
#define ENAS_HAS_CONCEPTS 1
#else
#define ENAS_HAS_CONCEPTS 0
#endif

namespace enas {

#if ENAS_HAS_CONCEPTS
template <class S>
concept SearchSpace = has_space_name_v<S> && has_arch_type_v<S> && has_num_tokens_v<S> &&
                      has_controller_program_v<S> && has_controller_layout_v<S> && has_arch_codec_v<S> &&
                      has_token_descriptions_v<S> && has_controller_defaults_v<S> && requires {
                        requires S::num_tokens > 0;
                      };

template <class C, class S>
concept ControllerFor = SearchSpace<S> && is_controller_for_v<C, S>;

/// Expands to a constrained template parameter under C++20 and to `typename` before.
#define ENAS_CONSTRAINT(C) C
#else
#define ENAS_CONSTRAINT(C) typename
#endif

}  // namespace enas

/// The static_assert every policy-taking class template starts with: names the class, the
/// parameter and the concept, and lists the first missing requirement.
#define ENAS_ASSERT_SEARCH_SPACE(Class, S)                                                                  \
  static_assert(::enas::has_space_name_v<S>,                                                                \
                Class ": template parameter Space must model enas::SearchSpace: missing `static constexpr " \
                      "std::string_view name`");                                                          \
  static_assert(::enas::has_arch_type_v<S>,                                                                 \
                Class ": template parameter Space must model enas::SearchSpace: missing nested type `Arch`"); \
  static_assert(::enas::has_num_tokens_v<S>,                                                                \
                Class ": template parameter Space must model enas::SearchSpace: missing `static constexpr " \
                      "int num_tokens`");                                                                  \
  static_assert(::enas::has_controller_program_v<S>,                                                        \
                Class ": template parameter Space must model enas::SearchSpace: missing the controller "    \
                      "`program` (constexpr std::array<enas::Instruction, N>)");                           \
  static_assert(::enas::has_controller_layout_v<S>,                                                         \
                Class ": template parameter Space must model enas::SearchSpace: missing `static constexpr " \
                      "enas::ControllerLayout controller_layout`");                                        \
  static_assert(::enas::has_arch_codec_v<S>,                                                                \
                Class ": template parameter Space must model enas::SearchSpace: missing `static Arch "      \
                      "decode(const std::vector<int>&)` or `static std::vector<int> encode(const Arch&)`"); \
  static_assert(::enas::has_token_descriptions_v<S>,                                                        \
                Class ": template parameter Space must model enas::SearchSpace: missing `describe_token(int)` " \
                      "or `token_count_rule()`");                                                          \
  static_assert(::enas::has_controller_defaults_v<S>,                                                       \
                Class ": template parameter Space must model enas::SearchSpace: missing `static "           \
                      "enas::ControllerOptions controller_defaults()`")

#endif  // ENAS_CORE_CONCEPTS_HPP
