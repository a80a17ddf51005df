/// @file
/// @brief The CIFAR-10 macro and micro families bound to the image tasks: which shared and
/// fixed models they train, and how the micro model's options follow from the flags.
#ifndef ENAS_TRAIN_CIFAR_TASKS_HPP
#define ENAS_TRAIN_CIFAR_TASKS_HPP

#include "enas/nn/macro_models.hpp"
#include "enas/nn/micro_models.hpp"
#include "enas/spaces/cifar_macro.hpp"
#include "enas/spaces/cifar_micro.hpp"
#include "enas/train/image_options.hpp"
#include "enas/train/image_task.hpp"
#include "enas/train/task_for.hpp"

namespace enas::train {

/// The micro network's layout and regularisation: L, the auxiliary head, drop-path.
template <>
struct ImageModelOptionsFrom<nn::MicroModelOptions> {
  static nn::MicroModelOptions make(const ImageOptions& o) {
    nn::MicroModelOptions m;
    m.image = ImageModelOptionsFrom<nn::ImageModelOptions>::make(o);
    m.num_layers = o.num_layers;
    m.use_aux_head = o.use_aux_heads;
    m.drop_path_keep = o.drop_path_keep_prob;
    return m;
  }
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

#endif  // ENAS_TRAIN_CIFAR_TASKS_HPP
