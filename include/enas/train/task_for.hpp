/// @file
/// @brief Binds a search space to its tasks (what a step, a reward and an evaluation are): the
/// trait through which Supernet and FinalTraining reach the torch side of a space, so that the
/// space itself stays torch-free. Each family specialises it beside its tasks (train/lm_task.hpp,
/// train/cifar_tasks.hpp, families/nas_bench_201/tasks.hpp), so a program compiles only the
/// families it includes.
#ifndef ENAS_TRAIN_TASK_FOR_HPP
#define ENAS_TRAIN_TASK_FOR_HPP

namespace enas::train {

/// Specialise for a space family: `Search` (shared-model task, modelling enas::SearchTask) and
/// `Final` (fixed-model task, modelling enas::FinalTask).
template <class Space>
struct TaskFor {
  static_assert(sizeof(Space) == 0,
                "enas::train::TaskFor<Space>: no task is bound to this search space; include the header of its "
                "family (or write one) that specialises TaskFor with `using Search = ...; using Final = ...;` "
                "(see docs/adding-a-space.md)");
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_TASK_FOR_HPP
