/// @file
/// @brief C++17 detection traits behind the enas concepts (core/concepts.hpp). Each trait checks
/// one requirement, so that a failing static_assert can say which one is missing.
#ifndef ENAS_CORE_TRAITS_HPP
#define ENAS_CORE_TRAITS_HPP

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "enas/core/controller_options.hpp"
#include "enas/core/controller_program.hpp"

namespace enas {
namespace detail {

template <class, template <class> class, class = void>
struct Detect : std::false_type {};
template <class T, template <class> class Op>
struct Detect<T, Op, std::void_t<Op<T>>> : std::true_type {};

template <class T>
using NameOf = decltype(std::string_view(T::name));
template <class T>
using ArchOf = typename T::Arch;
template <class T>
using NumTokensOf = decltype(static_cast<int>(T::num_tokens));
template <class T>
using ProgramOf = decltype(T::program[0].kind);
template <class T>
using LayoutOf = std::enable_if_t<std::is_same_v<std::decay_t<decltype(T::controller_layout)>, ControllerLayout>>;
template <class T>
using DecodeOf = std::enable_if_t<
    std::is_same_v<decltype(T::decode(std::declval<const std::vector<int>&>())), typename T::Arch>>;
template <class T>
using EncodeOf = std::enable_if_t<
    std::is_same_v<decltype(T::encode(std::declval<const typename T::Arch&>())), std::vector<int>>>;
template <class T>
using DescribeOf = decltype(std::string(T::describe_token(0)), std::string(T::token_count_rule()));
template <class T>
using DefaultsOf = std::enable_if_t<std::is_same_v<decltype(T::controller_defaults()), ControllerOptions>>;

template <class T>
using DegenerateReasonOf = decltype(std::string(T::degenerate_reason(std::declval<const typename T::Arch&>())));
template <class T>
using PolicyEntropyOf = decltype(static_cast<double>(std::declval<T&>().policy_entropy()));

// Task members (train::TaskFor<Space>::Search / ::Final), checked without naming torch types.
template <class T>
using TaskTypesOf = std::void_t<typename T::Options, typename T::Data, typename T::Arch>;
template <class T>
using TaskNamesOf = decltype(std::string(T::reward_name), std::string(T::sample_score_name), std::string(T::progress_unit),
                             *T::log_format);
template <class T>
using ProgressUnitOf = decltype(std::string(T::progress_unit), *T::log_format);
template <class T>
using SearchStepOf = decltype(std::declval<T&>().train_step(std::declval<const typename T::Arch&>(), std::int64_t{}));
template <class T>
using RewardOf = decltype(std::declval<T&>().reward(std::declval<const typename T::Arch&>()));
template <class T>
using ScoreOnOf = decltype(static_cast<double>(std::declval<T&>().score_on(std::declval<const typename T::Arch&>(),
                                                                            std::declval<T&>().draw_reward_batch())));
template <class T>
using EvaluateValidOf = decltype(static_cast<double>(
    std::declval<T&>().evaluate_valid(std::declval<const std::function<typename T::Arch()>&>())));
template <class T>
using FinalStepOf = decltype(std::declval<T&>().train_step(std::int64_t{}));
template <class T>
using EpochOf = decltype(static_cast<std::int64_t>(std::declval<const T&>().batches_per_epoch()),
                         static_cast<std::int64_t>(std::declval<const T&>().units_per_step()),
                         std::declval<T&>().reset_states(), std::declval<T&>().reset_epoch_stats());

template <class T>
using SpaceOf = typename T::space_type;
template <class T>
using TrainableOf = decltype(static_cast<bool>(T::is_trainable));
// Controller members, checked without naming torch types: sample(k, with_grad) returns a batch
// that update(batch, rewards) takes; options() returns the ControllerOptions it was built with.
template <class C>
using SampleOf = decltype(std::declval<C&>().sample(std::int64_t{}, bool{}));
template <class C>
using UpdateOf = decltype(std::declval<C&>().update(std::declval<const SampleOf<C>&>(),
                                                     std::declval<const std::vector<double>&>()));
template <class C>
using OptionsOf =
    std::enable_if_t<std::is_convertible_v<decltype(std::declval<const C&>().options()), const ControllerOptions&>>;

}  // namespace detail

/// @name Search-space requirements, one trait each
/// @{
template <class S>
inline constexpr bool has_space_name_v = detail::Detect<S, detail::NameOf>::value;
template <class S>
inline constexpr bool has_arch_type_v = detail::Detect<S, detail::ArchOf>::value;
template <class S>
inline constexpr bool has_num_tokens_v = detail::Detect<S, detail::NumTokensOf>::value;
template <class S>
inline constexpr bool has_controller_program_v = detail::Detect<S, detail::ProgramOf>::value;
template <class S>
inline constexpr bool has_controller_layout_v = detail::Detect<S, detail::LayoutOf>::value;
template <class S>
inline constexpr bool has_arch_codec_v =
    detail::Detect<S, detail::DecodeOf>::value && detail::Detect<S, detail::EncodeOf>::value;
template <class S>
inline constexpr bool has_token_descriptions_v = detail::Detect<S, detail::DescribeOf>::value;
template <class S>
inline constexpr bool has_controller_defaults_v = detail::Detect<S, detail::DefaultsOf>::value;
/// @}

/// Optional members: `Space::degenerate_reason(arch)` says why an architecture is degenerate (""
/// when it is not); `controller.policy_entropy()` estimates the entropy of its policy in nats.
template <class S>
inline constexpr bool has_degenerate_reason_v = detail::Detect<S, detail::DegenerateReasonOf>::value;
template <class C>
inline constexpr bool has_policy_entropy_v = detail::Detect<C, detail::PolicyEntropyOf>::value;

/// @name Task requirements (core/concepts.hpp, SearchTask and FinalTask), one trait each
/// @{
template <class T>
inline constexpr bool has_task_types_v = detail::Detect<T, detail::TaskTypesOf>::value;
template <class T>
inline constexpr bool has_task_names_v = detail::Detect<T, detail::TaskNamesOf>::value;
template <class T>
inline constexpr bool has_progress_unit_v = detail::Detect<T, detail::ProgressUnitOf>::value;
template <class T>
inline constexpr bool has_task_epoch_v = detail::Detect<T, detail::EpochOf>::value;
template <class T>
inline constexpr bool has_search_step_v = detail::Detect<T, detail::SearchStepOf>::value;
template <class T>
inline constexpr bool has_reward_v = detail::Detect<T, detail::RewardOf>::value;
template <class T>
inline constexpr bool has_score_on_v = detail::Detect<T, detail::ScoreOnOf>::value;
template <class T>
inline constexpr bool has_evaluate_valid_v = detail::Detect<T, detail::EvaluateValidOf>::value;
template <class T>
inline constexpr bool has_final_step_v = detail::Detect<T, detail::FinalStepOf>::value;
/// @}

/// True when T models enas::SearchTask / enas::FinalTask (the requirements core/concepts.hpp lists).
template <class T>
inline constexpr bool is_search_task_v = has_task_types_v<T> && has_task_names_v<T> && has_task_epoch_v<T> &&
                                         has_search_step_v<T> && has_reward_v<T> && has_score_on_v<T> &&
                                         has_evaluate_valid_v<T>;
template <class T>
inline constexpr bool is_final_task_v = has_task_types_v<T> && has_progress_unit_v<T> && has_task_epoch_v<T> &&
                                        has_final_step_v<T>;

/// True when S models enas::SearchSpace (see core/concepts.hpp for the requirement list).
template <class S>
inline constexpr bool is_search_space_v =
    has_space_name_v<S> && has_arch_type_v<S> && has_num_tokens_v<S> && has_controller_program_v<S> &&
    has_controller_layout_v<S> && has_arch_codec_v<S> && has_token_descriptions_v<S> &&
    has_controller_defaults_v<S>;

/// @name Controller requirements (core/concepts.hpp, ControllerFor), one trait each
/// @{
template <class C, class S>
inline constexpr bool has_controller_space_v = [] {
  if constexpr (detail::Detect<C, detail::SpaceOf>::value) {
    return std::is_same_v<typename C::space_type, S>;
  } else {
    return false;
  }
}();
template <class C>
inline constexpr bool has_trainable_flag_v = detail::Detect<C, detail::TrainableOf>::value;
template <class C>
inline constexpr bool has_sample_v = detail::Detect<C, detail::SampleOf>::value;
template <class C>
inline constexpr bool has_update_v = detail::Detect<C, detail::UpdateOf>::value;
template <class C>
inline constexpr bool has_controller_options_v = detail::Detect<C, detail::OptionsOf>::value;
/// Supernet builds its controller as `C(ControllerOptions, std::uint64_t seed)`.
template <class C>
inline constexpr bool has_controller_constructor_v = std::is_constructible_v<C, ControllerOptions, std::uint64_t>;
/// @}

/// True when C models enas::Controller for the space S.
template <class C, class S>
inline constexpr bool is_controller_for_v = has_controller_space_v<C, S> && has_trainable_flag_v<C> &&
                                            has_sample_v<C> && has_update_v<C> && has_controller_options_v<C> &&
                                            has_controller_constructor_v<C>;

}  // namespace enas

#endif  // ENAS_CORE_TRAITS_HPP
