// nas_bench_201_final: trains one NAS-Bench-201 cell from scratch on CIFAR-10 with the benchmark's
// training settings as defaults (200 epochs, C = 16, N = 5), by default its best-known cell.
#include "nas_bench_201_program.hpp"

int main(int argc, char** argv) {
  using Space = program::NasBench201;
  CLI::App app{"nas_bench_201_final: train a NAS-Bench-201 cell on CIFAR-10", "nas_bench_201_final"};
  program::Common common;
  auto options = enas::nas_bench_201::final_defaults();
  std::string fixed_arc = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
  program::add_common(app, common, options.max_steps, options.log_every);
  program::add_nas_bench_201_flags(app, options);
  app.add_option("--child_fixed_arc", fixed_arc,
                 "the cell: the benchmark's string (|op~0|+|op~0|op~1|+|op~0|op~1|op~2|) or 6 op ids (edges 0-1, 0-2, "
                 "1-2, 0-3, 1-3, 2-3; ops 0 none, 1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3, 4 avg_pool_3x3)")
      ->capture_default_str();
  return program::run(app, argc, argv, [&] {
    program::run_final<Space>(common, options, program::parse_arc_flag<Space>("--child_fixed_arc", fixed_arc), app);
  });
}
