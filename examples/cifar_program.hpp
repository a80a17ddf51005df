// What the four CIFAR-10 programs share: the reference's child flags (§2.3-§2.6), data loading,
// and the search and final runs over a space type.
#ifndef ENAS_EXAMPLES_CIFAR_PROGRAM_HPP
#define ENAS_EXAMPLES_CIFAR_PROGRAM_HPP

#include "program.hpp"

#include <fstream>
#include <string>

namespace program {

/// Flags of the CIFAR-10 programs besides the common ones.
struct CifarFlags {
  std::string data_format = "NCHW";
  std::string search_for;
  std::int64_t num_branches = 0;
  std::int64_t num_cells = 5;
  bool lr_cosine = true;
  bool whole_channels = true;
  std::string fixed_arc;
};

/// The flags of the child's training that every image program has: batch, epochs, evaluation,
/// cutout, L2, clipping, the cosine schedule, the layout. Defaults from `o`.
inline void add_image_training_flags(CLI::App& app, enas::train::ImageOptions& o) {
  app.add_option("--batch_size", o.batch_size, "minibatch size (also the controller's reward batch)")->capture_default_str();
  app.add_option("--num_epochs", o.num_epochs, "training epochs")->capture_default_str();
  app.add_option("--eval_every_epochs", o.eval_every_epochs, "epochs between evaluations")->capture_default_str();
  app.add_option("--child_cutout_size", o.cutout_size, "cutout square size (0: off)")->capture_default_str();
  app.add_option("--child_l2_reg", o.l2_reg, "L2 weight")->capture_default_str();
  app.add_option("--child_grad_bound", o.grad_bound, "global-norm gradient clip (0: off)")->capture_default_str();
  app.add_option("--child_lr_max", o.lr_max, "cosine maximum")->capture_default_str();
  app.add_option("--child_lr_min", o.lr_min, "cosine minimum")->capture_default_str();
  app.add_option("--child_lr_T_0", o.lr_t0, "first cosine period (epochs)")->capture_default_str();
  app.add_option("--child_lr_T_mul", o.lr_t_mul, "period multiplier")->capture_default_str();
  app.add_option("--eval_batch_size", o.eval_batch_size, "evaluation batch")->capture_default_str();
  program::add_switch(app, "channels_last", o.channels_last, "run the networks in NHWC memory layout (faster with oneDNN/cuDNN)");
}

/// The reference's child flags; defaults from `o`.
inline void add_image_flags(CLI::App& app, enas::train::ImageOptions& o, CifarFlags& c) {
  app.add_option("--data_format", c.data_format, "NCHW (the only layout the reference ran)")->capture_default_str();
  app.add_option("--search_for", c.search_for, "macro or micro (fixed by the program)")->capture_default_str();
  add_image_training_flags(app, o);
  app.add_option("--child_num_layers", o.num_layers, "layers (macro) or normal cells (micro)")->capture_default_str();
  app.add_option("--child_out_filters", o.out_filters, "filters F of the first stage")->capture_default_str();
  app.add_option("--child_num_branches", c.num_branches, "ops of the space (macro final: ops 0..n-1 allowed)")
      ->capture_default_str();
  app.add_option("--child_num_cells", c.num_cells, "micro: computed nodes per cell (5)")->capture_default_str();
  app.add_option("--child_keep_prob", o.keep_prob, "dropout keep before the classifier")->capture_default_str();
  app.add_option("--child_drop_path_keep_prob", o.drop_path_keep_prob, "micro final: drop-path keep")->capture_default_str();
  program::add_switch(app, "child_use_aux_heads", o.use_aux_heads, "micro: auxiliary head (weight 0.4)");
  program::add_switch(app, "child_lr_cosine", c.lr_cosine, "cosine schedule with restarts (required)");
}

/// Refuses flag values the programs cannot honour, with the reason.
inline void check_image_flags(const CifarFlags& c, const std::string& space, std::int64_t ops_in_space) {
  if (c.data_format != "NCHW") throw enas::ConfigError("--data_format " + c.data_format + " is not supported: use NCHW");
  if (!c.search_for.empty() && c.search_for != space) {
    throw enas::ConfigError("--search_for " + c.search_for + " does not match this program, which searches the " + space + " space");
  }
  if (!c.lr_cosine) throw enas::ConfigError("--nochild_lr_cosine: only the cosine schedule of the CIFAR scripts is implemented");
  if (!c.whole_channels) throw enas::ConfigError("--nocontroller_search_whole_channels: only whole-channel search is implemented");
  if (c.num_branches > ops_in_space) {
    throw enas::ConfigError("--child_num_branches " + std::to_string(c.num_branches) + " exceeds the " +
                            std::to_string(ops_in_space) + " ops of the " + space + " space");
  }
}

/// Loads CIFAR-10 with or without the validation split and says where it came from.
inline enas::data::Cifar10Data load_cifar(const Common& common, enas::data::Cifar10Split split, enas::io::RunLog& log) {
  const auto dir = enas::data::locate_cifar10(common.data_path, ENAS_PROJECT_DIR);
  auto data = enas::data::load_cifar10(dir, split);
  log.line(fmt::format("data_path={} train_size={} valid_size={} test_size={}", dir.string(), data.train.size(),
                       data.valid.size(), data.test.size()));
  if (data.test_is_held_out) log.line(data.note);
  return data;
}

/// The search: configuration, params=, the loop, derive; writes best_arc.txt.
template <class Space, class Controller>
void run_search(const Common& common, const enas::train::ImageOptions& options,
                const enas::ControllerOptions& controller_options, const CLI::App& app) {
  const auto device = setup_runtime(common);
  const auto dir = prepare_output_dir(common);
  enas::io::RunLog log(dir);
  print_flags(app, log);
  const auto data = load_cifar(common, enas::data::Cifar10Split::kHoldOutValidation, log);
  enas::Supernet<Space, Controller> net(options, controller_options, data, device, common.seed);
  log.line(fmt::format("params={}", net.task().num_parameters()));
  log.line(fmt::format("device={} threads={} batches_per_epoch={}", device.str(), common.threads,
                       net.task().batches_per_epoch()));
  if (options.max_steps == 0) return;
  auto config = run_config(app.get_name(), Space::name, common, enas::io::to_json(options));
  config["layers"] = options.num_layers;
  config["controller"] = enas::io::to_json(controller_options);
  config["search_for"] = Controller::is_trainable ? "enas" : "random";
  train_with_checkpoints(net, dir, config, log, [&](const enas::RunHooks& hooks) { return net.search(log, hooks); });
  log.line(fmt::format("Deriving: {} sampled architectures scored on one validation minibatch", options.derive_samples));
  report_derived<enas::Supernet<Space, Controller>>(net.derive(options.derive_samples), "val_acc", dir, common.plot, log);
}

/// Final training of one architecture.
template <class Space>
void run_final(const Common& common, const enas::train::ImageOptions& options, const typename Space::Arch& arch,
               const CLI::App& app) {
  const auto device = setup_runtime(common);
  const auto dir = prepare_output_dir(common);
  enas::io::RunLog log(dir);
  print_flags(app, log);
  const auto data = load_cifar(common, enas::data::Cifar10Split::kTrainOnAll, log);
  enas::FinalTraining<Space> run(arch, options, data, device, common.seed);
  log.line(fmt::format("arc={}", Space::format(arch)));
  log.line(fmt::format("params={}", run.task().num_parameters()));
  log.line(fmt::format("device={} threads={} batches_per_epoch={}", device.str(), common.threads,
                       run.task().batches_per_epoch()));
  if (options.max_steps == 0) return;
  auto config = run_config(app.get_name(), Space::name, common, enas::io::to_json(options));
  config["arc"] = Space::format(arch);
  train_with_checkpoints(run, dir, config, log, [&](const enas::RunHooks& hooks) { return run.run(log, hooks); });
  if (common.plot) plot_curves(dir, log);
}

/// Calls f(std::integral_constant<int, L>{}) for the macro depths the programs are built for.
template <class F>
void with_macro_layers(std::int64_t layers, F&& f) {
  switch (layers) {
    case 6: return f(std::integral_constant<int, 6>{});
    case 12: return f(std::integral_constant<int, 12>{});
    case 24: return f(std::integral_constant<int, 24>{});
    default:
      throw enas::ConfigError("--child_num_layers " + std::to_string(layers) +
                              ": the macro programs are built for 6, 12 or 24 layers (the space's depth is a "
                              "compile-time parameter; add a case in examples/cifar_program.hpp for another)");
  }
}

}  // namespace program

#endif  // ENAS_EXAMPLES_CIFAR_PROGRAM_HPP
