// cifar10_micro_final: trains one pair of cells from scratch on CIFAR-10
// (scripts/cifar10_micro_final.sh of the reference, with --child_cutout_size=16), by default the
// published cells.
#include "cifar_program.hpp"

namespace {
using Space = enas::spaces::MicroEnas;
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cifar10_micro_final: train fixed cells on CIFAR-10", "cifar10_micro_final"};
  program::Common common;
  auto options = enas::train::ImageOptions::micro_final_defaults();
  program::CifarFlags flags;
  flags.num_branches = Space::num_ops;
  flags.fixed_arc = "0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1";
  program::add_common(app, common, options.max_steps, options.log_every);
  program::add_image_flags(app, options, flags);
  program::ReferenceFlags reference;
  program::add_reference_flags(app, reference, "momentum", /*final_run=*/true);
  app.add_option("--child_fixed_arc", flags.fixed_arc, "normal cell then reduction cell (40 tokens, enas-reference.md §5.4)")
      ->capture_default_str();
  return program::run(app, argc, argv, [&] {
    program::check_reference_flags(reference);
    program::check_image_flags(flags, "micro", Space::num_ops);
    if (flags.num_cells != Space::num_nodes) {
      throw enas::ConfigError("--child_num_cells: the micro space of this program has " + std::to_string(Space::num_nodes) +
                              " nodes per cell");
    }
    program::run_final<Space>(common, options, Space::parse(flags.fixed_arc), app);
  });
}
