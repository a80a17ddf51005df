// ptb_search: ENAS search for a recurrent cell on Penn Treebank (scripts/ptb_search.sh of the
// reference). Trains the shared model and the controller, then derives the best cell and prints
// it as an architecture string that ptb_final takes unchanged.
#include "program.hpp"

int main(int argc, char** argv) {
  using Space = enas::spaces::PtbEnas;
  program::SearchProgram<enas::train::LmOptions> p("ptb_search", "ptb_search: ENAS recurrent-cell search on Penn Treebank",
                                                   enas::train::LmOptions::search_defaults(),
                                                   Space::controller_defaults(), Space::name);
  program::ReferenceFlags reference;
  program::add_reference_flags(p.app, reference, "sgd", /*final_run=*/false, Space::num_nodes);
  return p.run(argc, argv, [&] {
    program::check_reference_flags(reference);
    p.search<Space>();
  });
}
