// nas_bench_201_final: trains one NAS-Bench-201 cell from scratch on CIFAR-10 with the benchmark's
// training settings as defaults (200 epochs, C = 16, N = 5), by default its best-known cell.
#include "nas_bench_201_program.hpp"

int main(int argc, char** argv) {
  using Space = program::NasBench201;
  program::FinalProgram<enas::train::ImageOptions> p(
      "nas_bench_201_final", "nas_bench_201_final: train a NAS-Bench-201 cell on CIFAR-10",
      enas::nas_bench_201::final_defaults(), Space::name,
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
      "the cell: the benchmark's string (|op~0|+|op~0|op~1|+|op~0|op~1|op~2|) or 6 op ids (edges 0-1, 0-2, 1-2, 0-3, "
      "1-3, 2-3; ops 0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3)",
      program::kNotInNasBench201);
  program::describe_nas_bench_201_sizes(p.app);
  return p.run(argc, argv, [&] { p.train<Space>(p.arch<Space>()); });
}
