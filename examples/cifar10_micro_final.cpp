// cifar10_micro_final: trains one pair of cells from scratch on CIFAR-10
// (scripts/cifar10_micro_final.sh of the reference, with --child_cutout_size=16), by default the
// published cells.
#include "cifar_program.hpp"

int main(int argc, char** argv) {
  using Space = enas::spaces::MicroEnas;
  program::FinalProgram<enas::train::ImageOptions> p(
      "cifar10_micro_final", "cifar10_micro_final: train fixed cells on CIFAR-10",
      enas::train::ImageOptions::micro_final_defaults(), Space::name,
      "0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1",
      "normal cell then reduction cell (40 tokens, enas-reference.md §5.4)");
  program::CifarFlags flags;
  program::add_cifar_flags(p.app, flags, Space::num_ops);
  program::ReferenceFlags reference;
  program::add_reference_flags(p.app, reference, "momentum", /*final_run=*/true);
  return p.run(argc, argv, [&] {
    program::check_reference_flags(reference);
    program::check_cifar_flags(flags, "micro", Space::num_ops);
    if (flags.num_cells != Space::num_nodes) {
      throw enas::ConfigError("--child_num_cells: the micro space of this program has " + std::to_string(Space::num_nodes) +
                              " nodes per cell");
    }
    p.train<Space>(p.arch<Space>());
  });
}
