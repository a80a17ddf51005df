// ptb_final: trains one recurrent cell from scratch on Penn Treebank (scripts/ptb_final.sh of the
// reference), by default the published ENAS cell.
#include "program.hpp"

namespace {
using Space = enas::spaces::PtbEnas;
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ptb_final: train a fixed recurrent cell on Penn Treebank", "ptb_final"};
  program::Common common;
  auto options = enas::train::LmOptions::final_defaults();
  std::string fixed_arc = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1";
  program::add_common(app, common, options.max_steps, options.log_every);
  program::add_lm_flags(app, options);
  program::ReferenceFlags reference;
  program::add_reference_flags(app, reference, "sgd", /*final_run=*/true, Space::num_nodes);
  app.add_option("--child_fixed_arc", fixed_arc, "the cell to train (2N-1 tokens, enas-reference.md §3.6)")
      ->capture_default_str();
  return program::run(app, argc, argv, [&] {
    program::check_reference_flags(reference);
    const auto arch = Space::parse(fixed_arc);  // refuse a bad arc before any work
    const auto device = program::setup_runtime(common);
    const auto dir = program::prepare_output_dir(common);
    enas::io::RunLog log(dir);
    program::print_flags(app, log);
    const auto data_dir = enas::data::locate_ptb(common.data_path, ENAS_PROJECT_DIR);
    const auto corpus = enas::data::load_ptb(data_dir);
    log.line(fmt::format("data_path={} train_size={} valid_size={} test_size={} vocab={}", data_dir.string(),
                         corpus.train.size(), corpus.valid.size(), corpus.test.size(), corpus.vocab_size()));
    enas::FinalTraining<Space> run(arch, options, corpus, device, common.seed);
    log.line(fmt::format("arc={}", Space::format(arch)));
    log.line(fmt::format("params={}", run.task().num_parameters()));
    log.line(fmt::format("device={} threads={} batches_per_epoch={}", device.str(), common.threads,
                         run.task().batches_per_epoch()));
    if (options.max_steps == 0) return;
    auto config = program::run_config("ptb_final", Space::name, common, enas::io::to_json(options));
    config["arc"] = Space::format(arch);
    program::train_with_checkpoints(run, dir, config, log, [&](const enas::RunHooks& hooks) { return run.run(log, hooks); });
    if (common.plot) program::plot_curves(dir, log);
  });
}
