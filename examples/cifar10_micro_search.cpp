// cifar10_micro_search: ENAS search of the CIFAR-10 micro (cell) space
// (scripts/cifar10_micro_search.sh of the reference).
#include "cifar_program.hpp"

namespace {
using Space = enas::spaces::MicroEnas;
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cifar10_micro_search: ENAS cell search on CIFAR-10", "cifar10_micro_search"};
  program::Common common;
  auto options = enas::train::ImageOptions::micro_search_defaults();
  auto controller = Space::controller_defaults();
  program::CifarFlags flags;
  flags.num_branches = Space::num_ops;
  std::string search_for = "enas";
  program::add_common(app, common, options.max_steps, options.log_every);
  program::add_image_flags(app, options, flags);
  program::ReferenceFlags reference;
  program::add_reference_flags(app, reference, "momentum", /*final_run=*/false);
  program::add_controller_flags(app, controller, options.controller_training, options.controller_train_every);
  program::add_switch(app, "controller_search_whole_channels", flags.whole_channels, "ignored by the micro controller (as in the reference)");
  app.add_option("--controller", search_for, "enas (LSTM controller) or random (random search with weight sharing)")
      ->check(CLI::IsMember({"enas", "random"}))
      ->capture_default_str();
  app.add_option("--derive_samples", options.derive_samples, "architectures sampled and scored at the end")->capture_default_str();
  return program::run(app, argc, argv, [&] {
    program::check_reference_flags(reference);
    flags.whole_channels = true;  // ignored by the micro controller, as in the reference
    program::check_image_flags(flags, "micro", Space::num_ops);
    if (flags.num_branches != Space::num_ops || flags.num_cells != Space::num_nodes) {
      throw enas::ConfigError("--child_num_branches and --child_num_cells: the micro space of this program has " +
                              std::to_string(Space::num_ops) + " ops and " + std::to_string(Space::num_nodes) +
                              " nodes per cell (define another enas::spaces::Micro for others)");
    }
    if (search_for == "random") {
      program::run_search<Space, enas::controllers::Random<Space>>(common, options, controller, app);
    } else {
      program::run_search<Space, enas::controllers::Lstm<Space>>(common, options, controller, app);
    }
  });
}
