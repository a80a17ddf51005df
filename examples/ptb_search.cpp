// ptb_search: ENAS search for a recurrent cell on Penn Treebank (scripts/ptb_search.sh of the
// reference). Trains the shared model and the controller, then derives the best cell and prints
// it as an architecture string that ptb_final takes unchanged.
#include "program.hpp"

#include <fstream>

namespace {

using Space = enas::spaces::PtbEnas;

template <class Controller>
void search(const program::Common& common, const enas::train::LmOptions& options,
            const enas::ControllerOptions& controller_options, const CLI::App& app) {
  const auto device = program::setup_runtime(common);
  const auto dir = program::prepare_output_dir(common);
  enas::io::RunLog log(dir);
  program::print_flags(app, log);
  const auto data_dir = enas::data::locate_ptb(common.data_path, ENAS_PROJECT_DIR);
  const auto corpus = enas::data::load_ptb(data_dir);
  log.line(fmt::format("data_path={} train_size={} valid_size={} test_size={} vocab={}", data_dir.string(),
                       corpus.train.size(), corpus.valid.size(), corpus.test.size(), corpus.vocab_size()));
  using Net = enas::Supernet<Space, Controller>;
  Net net(options, controller_options, corpus, device, common.seed);
  log.line(fmt::format("params={}", net.task().num_parameters()));
  log.line(fmt::format("device={} threads={} batches_per_epoch={}", device.str(), common.threads,
                       net.task().batches_per_epoch()));
  if (options.max_steps == 0) return;
  auto config = program::run_config("ptb_search", Space::name, common, enas::io::to_json(options));
  config["controller"] = enas::io::to_json(controller_options);
  config["search_for"] = Controller::is_trainable ? "enas" : "random";
  program::train_with_checkpoints(net, dir, config, log, [&](const enas::RunHooks& hooks) { return net.search(log, hooks); });
  log.line(fmt::format("Deriving: {} sampled cells scored on one validation window", options.derive_samples));
  program::report_derived<Net>(net.derive(options.derive_samples), "rw", dir, common.plot, log);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ptb_search: ENAS recurrent-cell search on Penn Treebank", "ptb_search"};
  program::Common common;
  auto options = enas::train::LmOptions::search_defaults();
  auto controller = Space::controller_defaults();
  std::string search_for = "enas";
  program::add_common(app, common, options.max_steps, options.log_every);
  program::add_lm_flags(app, options);
  program::add_controller_flags(app, controller, options.controller_training, options.controller_train_every);
  program::ReferenceFlags reference;
  program::add_reference_flags(app, reference, "sgd", /*final_run=*/false, Space::num_nodes);
  app.add_option("--search_for", search_for, "enas (LSTM controller) or random (random search with weight sharing)")
      ->check(CLI::IsMember({"enas", "random"}))
      ->capture_default_str();
  app.add_option("--derive_samples", options.derive_samples, "architectures sampled and scored at the end")
      ->capture_default_str();
  return program::run(app, argc, argv, [&] {
    program::check_reference_flags(reference);
    if (search_for == "random") {
      search<enas::controllers::Random<Space>>(common, options, controller, app);
    } else {
      search<enas::controllers::Lstm<Space>>(common, options, controller, app);
    }
  });
}
