// What the two NAS-Bench-201 programs share: the flags that mean something for this family (the
// benchmark has no dropout, auxiliary head or drop-path), with the library's flag names so that a
// command line reads like the CIFAR-10 programs'.
#ifndef ENAS_EXAMPLES_NAS_BENCH_201_PROGRAM_HPP
#define ENAS_EXAMPLES_NAS_BENCH_201_PROGRAM_HPP

#include <enas/families/nas_bench_201.hpp>

#include "cifar_program.hpp"

namespace program {

using NasBench201 = enas::nas_bench_201::NasBench201;

/// The child network's sizes and the image programs' training flags; defaults from `o`.
inline void add_nas_bench_201_flags(CLI::App& app, enas::train::ImageOptions& o) {
  add_image_training_flags(app, o);
  app.add_option("--child_num_layers", o.num_layers, "cells per stage N (three stages)")->capture_default_str();
  app.add_option("--child_out_filters", o.out_filters, "channels C of the first stage (2C, 4C after)")->capture_default_str();
}

}  // namespace program

#endif  // ENAS_EXAMPLES_NAS_BENCH_201_PROGRAM_HPP
