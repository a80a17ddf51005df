/// @file
/// @brief Binds a search space to its tasks (what a step, a reward and an evaluation are): the
/// trait through which Supernet and FinalTraining reach the torch side of a space, so that the
/// space itself stays torch-free.
#ifndef ENAS_TRAIN_TASK_FOR_HPP
#define ENAS_TRAIN_TASK_FOR_HPP

#include "enas/nn/macro_models.hpp"
#include "enas/nn/micro_models.hpp"
#include "enas/spaces/cifar_macro.hpp"
#include "enas/spaces/cifar_micro.hpp"
#include "enas/spaces/ptb_cell.hpp"
#include "enas/train/image_task.hpp"
#include "enas/train/lm_task.hpp"

namespace enas::train {

/// Specialise for a space family: `Search` (shared-model task) and `Final` (fixed-model task).
template <class Space>
struct TaskFor {
  static_assert(sizeof(Space) == 0,
                "enas::train::TaskFor<Space>: no task is bound to this search space; specialise TaskFor "
                "with `using Search = ...; using Final = ...;` (see train/task_for.hpp)");
};

template <int Nodes, class... Activations>
struct TaskFor<spaces::PtbCell<Nodes, Activations...>> {
  using Search = LmSearchTask<spaces::PtbCell<Nodes, Activations...>>;
  using Final = LmFinalTask<spaces::PtbCell<Nodes, Activations...>>;
};

template <int Layers, class... Ops>
struct TaskFor<spaces::Macro<Layers, Ops...>> {
  using Space = spaces::Macro<Layers, Ops...>;
  using Search = ImageSearchTask<Space, nn::MacroSharedModel<Space>>;
  using Final = ImageFinalTask<Space, nn::MacroFixedModel<Space>>;
};

template <int Nodes, class... Ops>
struct TaskFor<spaces::Micro<Nodes, Ops...>> {
  using Space = spaces::Micro<Nodes, Ops...>;
  using Search = ImageSearchTask<Space, nn::MicroSharedModel<Space>>;
  using Final = ImageFinalTask<Space, nn::MicroFixedModel<Space>>;
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_TASK_FOR_HPP
