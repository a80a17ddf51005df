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
  CLI::App app{"cifar10_macro_final: train a fixed macro architecture on CIFAR-10", "cifar10_macro_final"};
  program::Common common;
  auto options = enas::train::ImageOptions::macro_final_defaults();
  program::CifarFlags flags;
  flags.num_branches = 4;
  flags.fixed_arc = kPublished;
  program::add_common(app, common, options.max_steps, options.log_every);
  program::add_image_flags(app, options, flags);
  program::ReferenceFlags reference;
  program::add_reference_flags(app, reference, "momentum", /*final_run=*/true);
  app.add_option("--child_fixed_arc", flags.fixed_arc, "the architecture (L + L(L-1)/2 tokens, enas-reference.md §4.5)");
  return program::run(app, argc, argv, [&] {
    program::check_reference_flags(reference);
    program::check_image_flags(flags, "macro", 6);
    program::with_macro_layers(options.num_layers, [&](auto layers) {
      using Space = enas::spaces::MacroOf<decltype(layers)::value>;
      const auto arch = Space::parse(flags.fixed_arc);
      for (int l = 0; l < Space::num_layers; ++l) {
        if (arch.op[static_cast<std::size_t>(l)] >= flags.num_branches) {
          throw enas::ConfigError("--child_fixed_arc: layer " + std::to_string(l) + " uses op " +
                                  std::to_string(arch.op[static_cast<std::size_t>(l)]) + " but --child_num_branches is " +
                                  std::to_string(flags.num_branches) + " (ops 0.." +
                                  std::to_string(flags.num_branches - 1) + " allowed)");
        }
      }
      program::run_final<Space>(common, options, arch, app);
    });
  });
}
