// cifar10_micro_search: ENAS search of the CIFAR-10 micro (cell) space
// (scripts/cifar10_micro_search.sh of the reference).
#include "cifar_program.hpp"

int main(int argc, char** argv) {
  using Space = enas::spaces::MicroEnas;
  program::SearchProgram<enas::train::ImageOptions> p(
      "cifar10_micro_search", "cifar10_micro_search: ENAS cell search on CIFAR-10",
      enas::train::ImageOptions::micro_search_defaults(), Space::controller_defaults(), Space::name);
  program::CifarFlags flags;
  program::add_cifar_flags(p.app, flags, Space::num_ops, "ignored by the micro controller (as in the reference)");
  program::ReferenceFlags reference;
  program::add_reference_flags(p.app, reference, "momentum", /*final_run=*/false);
  return p.run(argc, argv, [&] {
    program::check_reference_flags(reference);
    flags.whole_channels = true;  // ignored by the micro controller, as in the reference
    program::check_cifar_flags(flags, "micro", Space::num_ops);
    if (flags.num_branches != Space::num_ops || flags.num_cells != Space::num_nodes) {
      throw enas::ConfigError("--child_num_branches and --child_num_cells: the micro space of this program has " +
                              std::to_string(Space::num_ops) + " ops and " + std::to_string(Space::num_nodes) +
                              " nodes per cell (define another enas::spaces::Micro for others)");
    }
    p.search<Space>();
  });
}
