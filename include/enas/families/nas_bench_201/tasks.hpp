/// @file
/// @brief The NAS-Bench-201 family bound to the library's image tasks: which shared and fixed
/// networks a search and a final training use, and how their sizes follow from the flags. This is
/// the whole of what a family tells the library (docs/adding-a-space.md).
#ifndef ENAS_FAMILIES_NAS_BENCH_201_TASKS_HPP
#define ENAS_FAMILIES_NAS_BENCH_201_TASKS_HPP

#include "enas/families/nas_bench_201/models.hpp"
#include "enas/families/nas_bench_201/space.hpp"
#include "enas/train/image_options.hpp"
#include "enas/train/image_task.hpp"
#include "enas/train/task_for.hpp"

namespace enas::train {

/// C from --child_out_filters, N from --child_num_layers.
template <>
struct ImageModelOptionsFrom<nas_bench_201::ModelOptions> {
  static nas_bench_201::ModelOptions make(const ImageOptions& o) {
    nas_bench_201::ModelOptions m;
    m.channels = o.out_filters;
    m.cells_per_stage = o.num_layers;
    return m;
  }
};

template <int Nodes, class... Ops>
struct TaskFor<nas_bench_201::CellDag<Nodes, Ops...>> {
  using Space = nas_bench_201::CellDag<Nodes, Ops...>;
  using Search = ImageSearchTask<Space, nas_bench_201::SharedModel<Space>>;
  using Final = ImageFinalTask<Space, nas_bench_201::FixedModel<Space>>;
};

}  // namespace enas::train

namespace enas::nas_bench_201 {

/// The benchmark's training of every architecture (Dong & Yang 2020, §2): 200 epochs of Nesterov
/// SGD (momentum 0.9), lr 0.1 by one cosine to 0, weight decay 5e-4, batch 256; C = 16, N = 5; no
/// dropout, no clipping. Crop-and-flip augmentation as the library's CIFAR-10 batches do it.
inline train::ImageOptions final_defaults() {
  train::ImageOptions o;
  o.batch_size = 256;
  o.num_epochs = 200;
  o.num_layers = 5;
  o.out_filters = 16;
  o.keep_prob = 1.0;
  o.l2_reg = 5e-4;
  o.grad_bound = 0.0;
  o.lr_max = 0.1;
  o.lr_min = 0.0;
  o.lr_t0 = 200;
  o.lr_t_mul = 1;
  o.controller_training = false;
  o.sync_bn = false;
  return o;
}

/// The benchmark authors' ENAS search (AutoDL-Projects, configs/nas-benchmark/algos/ENAS.config):
/// 250 epochs, lr 0.05 by a cosine to 0.0005 with period 10 (their T_max), weight decay 2.5e-4,
/// batch 128, gradient clip 5 (their `clip_grad_norm_`); C = 16, N = 5.
inline train::ImageOptions search_defaults() {
  train::ImageOptions o;
  o.batch_size = 128;
  o.num_epochs = 250;
  o.num_layers = 5;
  o.out_filters = 16;
  o.keep_prob = 1.0;
  o.l2_reg = 2.5e-4;
  o.grad_bound = 5.0;
  o.lr_max = 0.05;
  o.lr_min = 0.0005;
  o.lr_t0 = 10;
  o.lr_t_mul = 1;
  return o;
}

}  // namespace enas::nas_bench_201

#endif  // ENAS_FAMILIES_NAS_BENCH_201_TASKS_HPP
