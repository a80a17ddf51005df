// cifar10_macro_search: ENAS search of the CIFAR-10 macro space (scripts/cifar10_macro_search.sh of
// the reference): one op and the skip connections of every layer.
#include "cifar_program.hpp"

int main(int argc, char** argv) {
  CLI::App app{"cifar10_macro_search: ENAS macro-space search on CIFAR-10", "cifar10_macro_search"};
  program::Common common;
  auto options = enas::train::ImageOptions::macro_search_defaults();
  auto controller = enas::spaces::MacroEnas::controller_defaults();
  program::CifarFlags flags;
  flags.num_branches = 6;
  std::string search_for = "enas";
  program::add_common(app, common, options.max_steps, options.log_every);
  program::add_image_flags(app, options, flags);
  program::ReferenceFlags reference;
  program::add_reference_flags(app, reference, "momentum", /*final_run=*/false);
  program::add_controller_flags(app, controller, options.controller_training, options.controller_train_every);
  program::add_switch(app, "controller_search_whole_channels", flags.whole_channels, "one op per layer (the paper's macro space; required)");
  app.add_option("--controller", search_for, "enas (LSTM controller) or random (random search with weight sharing)")
      ->check(CLI::IsMember({"enas", "random"}))
      ->capture_default_str();
  app.add_option("--derive_samples", options.derive_samples, "architectures sampled and scored at the end")->capture_default_str();
  return program::run(app, argc, argv, [&] {
    program::check_reference_flags(reference);
    program::check_image_flags(flags, "macro", 6);
    if (flags.num_branches != 6) throw enas::ConfigError("--child_num_branches: the macro search space has 6 ops");
    program::with_macro_layers(options.num_layers, [&](auto layers) {
      using Space = enas::spaces::MacroOf<decltype(layers)::value>;
      if (search_for == "random") {
        program::run_search<Space, enas::controllers::Random<Space>>(common, options, controller, app);
      } else {
        program::run_search<Space, enas::controllers::Lstm<Space>>(common, options, controller, app);
      }
    });
  });
}
