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
/// **SearchTask** — what a search step, a reward and an evaluation are for a space family
/// (`train::TaskFor<Space>::Search`). Required: nested `Options`, `Data`, `Arch`; the names
/// `reward_name`, `sample_score_name`, `progress_unit` and `log_format` (an io::LogFormat
/// pointer: how its log lines look); `train_step(arch, step)` (one step of the
/// shared weights); `reward(arch)` (a tensor: the controller's reward); `draw_reward_batch()` and
/// `score_on(arch, batch) -> double` (derive); `evaluate_valid(sample) -> double`;
/// `batches_per_epoch()`, `units_per_step()`, `reset_states()`, `reset_epoch_stats()`. Also, with
/// torch and run-log types the core does not name: the constructor `(options, data, device,
/// seed)`, `epoch_evaluation`, `final_evaluation`, `fill_log`, `save`/`load`, `model()`,
/// `optimizer()` (an optim::Sgd), `recovery()` (a train::Recovery), `note_skipped(n)`, `device()`. Models: train::LmSearchTask, train::ImageSearchTask.
///
/// **FinalTask** — the same for training one architecture (`train::TaskFor<Space>::Final`):
/// nested types as above, `progress_unit`, `log_format`; `train_step(step)`; the epoch members; constructor
/// `(arch, options, data, device, seed)`. Models: train::LmFinalTask, train::ImageFinalTask.
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

template <class T>
concept SearchTask = is_search_task_v<T>;

template <class T>
concept FinalTask = is_final_task_v<T>;

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

/// The static_asserts Supernet starts with for its Controller parameter: the first missing member
/// of enas::ControllerFor<Space>, by name.
#define ENAS_CONTROLLER_REQUIREMENT(Class, ok, what)                                                         \
  static_assert(ok, Class ": template parameter Controller must model enas::Controller for this Space: missing " \
                    what " (e.g. enas::controllers::Lstm<Space>)")
#define ENAS_ASSERT_CONTROLLER(Class, C, S)                                                                    \
  ENAS_CONTROLLER_REQUIREMENT(Class, (::enas::has_controller_space_v<C, S>), "`using space_type = Space`");     \
  ENAS_CONTROLLER_REQUIREMENT(Class, ::enas::has_trainable_flag_v<C>, "`static constexpr bool is_trainable`");  \
  ENAS_CONTROLLER_REQUIREMENT(Class, ::enas::has_sample_v<C>, "`sample(std::int64_t k, bool with_grad)`");      \
  ENAS_CONTROLLER_REQUIREMENT(Class, ::enas::has_update_v<C>,                                                   \
                              "`update(const Batch& sampled, const std::vector<double>& rewards)`");           \
  ENAS_CONTROLLER_REQUIREMENT(Class, ::enas::has_controller_options_v<C>, "`const ControllerOptions& options()`"); \
  ENAS_CONTROLLER_REQUIREMENT(Class, ::enas::has_controller_constructor_v<C>,                                    \
                              "a constructor `Controller(ControllerOptions, std::uint64_t seed)`")

/// The static_asserts Supernet and FinalTraining start with: the task bound to the space
/// (train::TaskFor) must model SearchTask / FinalTask; the message names the first missing member.
#define ENAS_TASK_REQUIREMENT(Class, Kind, T, trait, what)                                                  \
  static_assert(::enas::trait<T>, Class ": train::TaskFor<Space>::" Kind " must model enas::" Kind "Task: " \
                                  "missing " what " (see core/concepts.hpp)")
#define ENAS_ASSERT_SEARCH_TASK(Class, T)                                                                          \
  ENAS_TASK_REQUIREMENT(Class, "Search", T, has_task_types_v, "nested types `Options`, `Data` and `Arch`");       \
  ENAS_TASK_REQUIREMENT(Class, "Search", T, has_task_names_v,                                                      \
                        "`reward_name`, `sample_score_name`, `progress_unit` or `log_format`");                    \
  ENAS_TASK_REQUIREMENT(Class, "Search", T, has_task_epoch_v,                                                      \
                        "`batches_per_epoch()`, `units_per_step()`, `reset_states()` or `reset_epoch_stats()`");   \
  ENAS_TASK_REQUIREMENT(Class, "Search", T, has_search_step_v, "`train_step(const Arch&, std::int64_t step)`");    \
  ENAS_TASK_REQUIREMENT(Class, "Search", T, has_reward_v, "`reward(const Arch&)`");                               \
  ENAS_TASK_REQUIREMENT(Class, "Search", T, has_score_on_v,                                                        \
                        "`draw_reward_batch()` or `double score_on(const Arch&, batch)`");                         \
  ENAS_TASK_REQUIREMENT(Class, "Search", T, has_evaluate_valid_v,                                                  \
                        "`double evaluate_valid(const std::function<Arch()>& sample)`")
#define ENAS_ASSERT_FINAL_TASK(Class, T)                                                                           \
  ENAS_TASK_REQUIREMENT(Class, "Final", T, has_task_types_v, "nested types `Options`, `Data` and `Arch`");        \
  ENAS_TASK_REQUIREMENT(Class, "Final", T, has_progress_unit_v, "`progress_unit` or `log_format`");               \
  ENAS_TASK_REQUIREMENT(Class, "Final", T, has_task_epoch_v,                                                       \
                        "`batches_per_epoch()`, `units_per_step()`, `reset_states()` or `reset_epoch_stats()`");   \
  ENAS_TASK_REQUIREMENT(Class, "Final", T, has_final_step_v, "`train_step(std::int64_t step)`")

#endif  // ENAS_CORE_CONCEPTS_HPP
