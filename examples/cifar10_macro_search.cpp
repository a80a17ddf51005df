// cifar10_macro_search: ENAS search of the CIFAR-10 macro space (scripts/cifar10_macro_search.sh of
// the reference): one op and the skip connections of every layer.
#include "cifar_program.hpp"

int main(int argc, char** argv) {
  program::SearchProgram<enas::train::ImageOptions> p(
      "cifar10_macro_search", "cifar10_macro_search: ENAS macro-space search on CIFAR-10",
      enas::train::ImageOptions::macro_search_defaults(), enas::spaces::MacroEnas::controller_defaults(),
      enas::spaces::MacroEnas::name);
  program::CifarFlags flags;
  program::add_cifar_flags(p.app, flags, enas::spaces::MacroEnas::num_ops,
                           "one op per layer (the paper's macro space; required)");
  program::ReferenceFlags reference;
  program::add_reference_flags(p.app, reference, "momentum", /*final_run=*/false);
  return p.run(argc, argv, [&] {
    program::check_reference_flags(reference);
    program::check_cifar_flags(flags, "macro", enas::spaces::MacroEnas::num_ops);
    if (flags.num_branches != enas::spaces::MacroEnas::num_ops) {
      throw enas::ConfigError("--child_num_branches: the macro search space has 6 ops");
    }
    program::with_macro_layers(p.options.num_layers, [&](auto layers) {
      p.search<enas::spaces::MacroOf<decltype(layers)::value>>();
    });
  });
}
