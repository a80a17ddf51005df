// nas_bench_201_search: ENAS search of the NAS-Bench-201 cell space on CIFAR-10 (the library's
// fourth family, include/enas/families/nas_bench_201), with the settings of the benchmark authors'
// ENAS run as defaults. Prints the derived cell in the benchmark's string format.
#include "nas_bench_201_program.hpp"

int main(int argc, char** argv) {
  using Space = program::NasBench201;
  CLI::App app{"nas_bench_201_search: ENAS cell search in the NAS-Bench-201 space on CIFAR-10", "nas_bench_201_search"};
  program::Common common;
  auto options = enas::nas_bench_201::search_defaults();
  auto controller = Space::controller_defaults();
  std::string search_for = "enas";
  program::add_common(app, common, options.max_steps, options.log_every);
  program::add_nas_bench_201_flags(app, options);
  program::add_controller_flags(app, controller, options.controller_training, options.controller_train_every);
  app.add_option("--controller", search_for, "enas (LSTM controller) or random (random search with weight sharing)")
      ->check(CLI::IsMember({"enas", "random"}))
      ->capture_default_str();
  app.add_option("--derive_samples", options.derive_samples, "architectures sampled and scored at the end")->capture_default_str();
  return program::run(app, argc, argv, [&] {
    if (search_for == "random") {
      program::run_search<Space, enas::controllers::Random<Space>>(common, options, controller, app);
    } else {
      program::run_search<Space, enas::controllers::Lstm<Space>>(common, options, controller, app);
    }
  });
}
