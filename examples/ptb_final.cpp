// ptb_final: trains one recurrent cell from scratch on Penn Treebank (scripts/ptb_final.sh of the
// reference), by default the published ENAS cell.
#include "program.hpp"

int main(int argc, char** argv) {
  using Space = enas::spaces::PtbEnas;
  program::FinalProgram<enas::train::LmOptions> p(
      "ptb_final", "ptb_final: train a fixed recurrent cell on Penn Treebank", enas::train::LmOptions::final_defaults(),
      Space::name, "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1", "the cell to train (2N-1 tokens, enas-reference.md §3.6)");
  program::ReferenceFlags reference;
  program::add_reference_flags(p.app, reference, "sgd", /*final_run=*/true, Space::num_nodes);
  return p.run(argc, argv, [&] {
    program::check_reference_flags(reference);
    p.train<Space>(p.arch<Space>());
  });
}
