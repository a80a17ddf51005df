// What the two NAS-Bench-201 programs share: the family and the help of the two size flags, which
// mean something else here than in the reference's CIFAR-10 spaces. The benchmark has no dropout,
// auxiliary head or drop-path, so the programs leave out ImageOptions::kReferenceChild flags.
#ifndef ENAS_EXAMPLES_NAS_BENCH_201_PROGRAM_HPP
#define ENAS_EXAMPLES_NAS_BENCH_201_PROGRAM_HPP

#include <enas/families/nas_bench_201.hpp>

#include "program.hpp"

namespace program {

using NasBench201 = enas::nas_bench_201::NasBench201;

/// The flags of ImageOptions a NAS-Bench-201 program leaves out.
inline constexpr unsigned kNotInNasBench201 = enas::train::ImageOptions::kReferenceChild;

/// Describes the size flags as the benchmark's N and C.
inline void describe_nas_bench_201_sizes(CLI::App& app) {
  app.get_option("--child_num_layers")->description("cells per stage N (three stages)");
  app.get_option("--child_out_filters")->description("channels C of the first stage (2C, 4C after)");
}

}  // namespace program

#endif  // ENAS_EXAMPLES_NAS_BENCH_201_PROGRAM_HPP
