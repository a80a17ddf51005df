// cifar10_macro_final: trains one macro architecture from scratch on CIFAR-10
// (scripts/cifar10_macro_final.sh of the reference), by default the published 24-layer network.
#include "cifar_program.hpp"

namespace {
const char* kPublished =
    "0 3 0 0 1 0 2 0 0 1 2 0 0 0 0 3 1 1 0 1 0 2 0 0 0 0 0 1 2 0 1 1 0 1 1 1 1 0 1 1 1 0 1 0 1 0 0 0 0 0 "
    "0 0 0 0 0 2 0 0 0 0 0 1 0 0 0 0 0 1 0 0 1 1 0 0 0 0 1 1 2 0 1 0 0 0 0 0 1 0 1 1 0 1 0 0 1 0 0 0 1 1 "
    "1 0 1 0 1 0 1 1 0 1 0 1 0 0 0 0 0 1 0 0 2 0 0 1 0 0 0 0 0 0 0 1 0 1 0 1 2 0 1 0 0 0 1 0 0 1 1 1 1 0 "
    "0 1 0 2 0 0 0 0 1 0 1 0 1 0 0 1 0 1 0 0 1 3 0 1 1 0 1 0 0 0 0 0 1 0 1 0 1 0 0 0 3 0 1 1 0 0 0 0 0 0 "
    "0 0 0 1 1 0 0 0 0 1 0 1 0 0 1 0 1 1 0 0 0 1 0 0 0 0 0 1 1 0 0 3 0 1 0 1 1 0 0 1 0 1 1 0 1 1 0 1 0 0 "
    "1 0 0 0 1 0 1 0 1 0 0 0 0 0 0 0 0 1 0 1 0 0 1 0 0 0 0 1 1 0 0 0 1 1 1 0 1 0 0 0 1 0 1 0 0 1 1 0 0 0";
}  // namespace

int main(int argc, char** argv) {
  program::FinalProgram<enas::train::ImageOptions> p(
      "cifar10_macro_final", "cifar10_macro_final: train a fixed macro architecture on CIFAR-10",
      enas::train::ImageOptions::macro_final_defaults(), enas::spaces::MacroEnas::name, kPublished,
      "the architecture (L + L(L-1)/2 tokens, enas-reference.md §4.5)");
  program::CifarFlags flags;
  program::add_cifar_flags(p.app, flags, 4);
  program::ReferenceFlags reference;
  program::add_reference_flags(p.app, reference, "momentum", /*final_run=*/true);
  return p.run(argc, argv, [&] {
    program::check_reference_flags(reference);
    program::check_cifar_flags(flags, "macro", enas::spaces::MacroEnas::num_ops);
    program::with_macro_layers(p.options.num_layers, [&](auto layers) {
      using Space = enas::spaces::MacroOf<decltype(layers)::value>;
      const auto arch = p.arch<Space>();
      for (int l = 0; l < Space::num_layers; ++l) {
        if (arch.op[static_cast<std::size_t>(l)] >= flags.num_branches) {
          throw enas::ConfigError("--child_fixed_arc: layer " + std::to_string(l) + " uses op " +
                                  std::to_string(arch.op[static_cast<std::size_t>(l)]) + " but --child_num_branches is " +
                                  std::to_string(flags.num_branches) + " (ops 0.." +
                                  std::to_string(flags.num_branches - 1) + " allowed)");
        }
      }
      p.train<Space>(arch);
    });
  });
}
