// What every example program shares: the common flags, the reference's flag names for the PTB
// child and the controller, printing the configuration, preparing the output folder, and turning
// errors into one clear message. CLI11 stays out of the library; only the programs use it.
#ifndef ENAS_EXAMPLES_PROGRAM_HPP
#define ENAS_EXAMPLES_PROGRAM_HPP

#include <enas/enas.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#ifndef ENAS_PROJECT_DIR
#define ENAS_PROJECT_DIR ""
#endif

namespace program {

/// CLI11 prints a negatable flag as `--plot,--noplot{false}`, which reads like its default; the help
/// shows plain names and `add_switch` states the real default.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    std::string name = CLI::Formatter::make_option_name(opt, is_positional);
    for (auto open = name.find('{'); open != std::string::npos; open = name.find('{')) {
      const auto close = name.find('}', open);
      if (close == std::string::npos) break;
      name.erase(open, close - open + 1);
    }
    return name;
  }
};

/// An on/off flag `--name` with its negation `--noname` (the reference's absl style). CLI11 would
/// print the negation's value as `{false}`, which reads like the default; show the real one instead.
inline CLI::Option* add_switch(CLI::App& app, const std::string& name, bool& value, const std::string& description) {
  return app.add_flag(fmt::format("--{0},!--no{0}", name), value, description)
      ->option_text(value ? "(default: on)" : "(default: off)")
      ->default_str(value ? "true" : "false");
}

/// Flags of every program.
struct Common {
  std::string data_path;
  std::string output_dir = "outputs";
  bool reset_output_dir = false;
  std::string device = enas::default_device_name();
  std::uint64_t seed = 0;
  int threads = enas::hardware_threads();
  bool plot = true;
  int dist_timeout = 300;  ///< seconds; several processes only
  int dist_stop_steps = 0;  ///< steps between stop votes; 0: by backend
};

inline void add_common(CLI::App& app, Common& c) {
  // A flag given twice takes its last value, so that the scripts' extra arguments override theirs.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.formatter(std::make_shared<HelpFormatter>());
  app.add_option("--data_path", c.data_path, "folder of the data set (default: data/, $ENAS_DATA_DIR, ../shared/data)");
  app.add_option("--output_dir", c.output_dir, "where logs, metrics and checkpoints go")->capture_default_str();
  add_switch(app, "reset_output_dir", c.reset_output_dir, "delete --output_dir first instead of adding to it");
  app.add_option("--device", c.device, "cpu or cuda (default: cuda when a GPU is usable)")->capture_default_str();
  app.add_option("--seed", c.seed, "seed of every random generator")->capture_default_str();
  app.add_option("--threads", c.threads, "LibTorch intra-op threads")->capture_default_str()->check(CLI::PositiveNumber);
  add_switch(app, "plot", c.plot, "draw the training curves (gnuplot) and the derived cell (graphviz) at the end");
  app.add_option("--dist_timeout", c.dist_timeout,
                 "several processes (torchrun, mpirun, srun): seconds a rank waits for the others, at the rendezvous "
                 "and in every collective, before the run fails naming the rank that is gone")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--dist_stop_steps", c.dist_stop_steps,
                 "several processes: steps between the ranks' votes on a stop (SIGINT/SIGTERM on any rank); 0 = "
                 "every step on Gloo, every 10 on NCCL, where a vote waits for the GPU")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

/// A flag for every field of `o` (its Options::fields() table) whose tags miss `skip_tags`;
/// defaults from `o`. `help_prefix` goes before each help (the final programs' unused controller
/// flags); `group` puts them under a heading of --help.
template <class Options>
void add_flags(CLI::App& app, Options& o, unsigned skip_tags = 0, const std::string& group = {},
               const std::string& help_override = {}) {
  enas::option::for_each_field<Options>([&](const auto& field) {
    if ((field.tags & skip_tags) != 0) return;
    using T = typename std::decay_t<decltype(field)>::value_type;
    const std::string help = help_override.empty() ? field.help : help_override;
    CLI::Option* added = nullptr;
    if constexpr (std::is_same_v<T, bool>) {
      added = add_switch(app, field.flag, field.of(o), help);
    } else {
      added = app.add_option(std::string("--") + field.flag, field.of(o), help)->capture_default_str();
    }
    if (!group.empty()) added->group(group);
  });
}

/// Flags that a reference command line carries and that have one meaning here (enas-reference.md
/// §2). They are accepted, so that the reference's scripts run unchanged; check_reference_flags
/// refuses any other value by name.
struct ReferenceFlags {
  bool sync_replicas = true;
  std::string optim_algo;     ///< the one child optimizer of the program: "sgd" (PTB), "momentum" (CIFAR)
  std::string program_optim;  ///< what the program trains with
  bool final_run = false;     ///< a *_final program: the controller flags are accepted and unused
  bool controller_training = false;
  std::int64_t controller_train_every = 1;
  enas::ControllerOptions unused_controller;
  int ptb_nodes = 0;                ///< PTB programs: the space's node count (child_rhn_depth)
  std::int64_t rhn_depth = 0;
  std::int64_t lm_layers = 1;
  bool whole_channels = true;
  bool e_skip = false;
  std::string selection_threshold, num_cell_layers;
};

/// Adds the flags of ReferenceFlags. `optim_algo` is the reference's value for this program;
/// `ptb_nodes` the cell's node count in a PTB program (0 in the CIFAR programs).
inline void add_reference_flags(CLI::App& app, ReferenceFlags& r, const std::string& optim_algo, bool final_run,
                                int ptb_nodes = 0) {
  r.optim_algo = r.program_optim = optim_algo;
  r.final_run = final_run;
  r.ptb_nodes = ptb_nodes;
  if (ptb_nodes > 0) {
    r.rhn_depth = ptb_nodes;
    app.add_option("--child_rhn_depth", r.rhn_depth, "cell nodes N (fixed by the space type)")->capture_default_str();
    app.add_option("--child_num_layers", r.lm_layers, "stacked cells (1, as in every reference script)")
        ->capture_default_str();
  }
  add_switch(app, "controller_sync_replicas", r.sync_replicas,
             "on only: each controller update averages num_aggregate samples (the reference's SyncReplicasOptimizer)");
  app.add_option("--child_optim_algo", r.optim_algo,
                 optim_algo == "sgd" ? "sgd only: plain SGD, which the reference hard-codes for PTB"
                                     : "momentum only: Nesterov momentum 0.9, which the reference hard-codes for CIFAR-10")
      ->capture_default_str();
  // The reference's scripts pass these, but its main.py defines none of them; TF1 ignored them.
  const char* group = "Accepted so that the reference's command lines run unchanged, without effect";
  const char* ignored = "passed by the reference's scripts, defined by none of its programs";
  app.add_flag("--child_lstm_e_skip,!--nochild_lstm_e_skip", r.e_skip, ignored)->option_text(" ")->group(group);
  app.add_option("--controller_selection_threshold", r.selection_threshold, ignored)->group(group);
  app.add_option("--child_num_cell_layers", r.num_cell_layers, ignored)->group(group);
  if (!final_run) return;
  // A final run builds no controller; the reference's final scripts still pass every controller flag.
  const char* unused = "a final run has no controller";
  add_switch(app, "controller_training", r.controller_training, "off only: a final run trains a fixed architecture");
  if (ptb_nodes == 0) add_switch(app, "controller_search_whole_channels", r.whole_channels, unused)->group(group);
  app.add_option("--controller_train_every", r.controller_train_every, unused)->group(group);
  add_flags(app, r.unused_controller, 0, group, unused);
}

/// Refuses, by name, a value of a ReferenceFlags flag that this library would not honour.
inline void check_reference_flags(const ReferenceFlags& r) {
  if (!r.sync_replicas) {
    throw enas::ConfigError(
        "--nocontroller_sync_replicas is not supported: every controller update averages the gradients of "
        "--controller_num_aggregate samples, as the reference's sync replicas do (set --controller_num_aggregate=1 "
        "for one sample per update)");
  }
  if (r.optim_algo != r.program_optim) {
    throw enas::ConfigError("--child_optim_algo=" + r.optim_algo + " is not supported: this program trains the child with '" +
                            r.program_optim + "', as the reference does");
  }
  if (r.ptb_nodes > 0 && r.rhn_depth != r.ptb_nodes) {
    throw enas::ConfigError("--child_rhn_depth=" + std::to_string(r.rhn_depth) + " is not supported: this program's cell has " +
                            std::to_string(r.ptb_nodes) +
                            " nodes, a compile-time parameter of its space (enas::spaces::PtbCell<N, ...>)");
  }
  if (r.ptb_nodes > 0 && r.lm_layers != 1) {
    throw enas::ConfigError("--child_num_layers=" + std::to_string(r.lm_layers) +
                            " is not supported: the PTB models have one cell layer, as every reference script uses");
  }
  if (r.final_run && r.controller_training) {
    throw enas::ConfigError(
        "--controller_training: a final run trains the fixed --child_fixed_arc and has no controller; the reference "
        "requires --nocontroller_training here");
  }
}

/// The configuration, one sorted `name.....value` line per flag, as the reference prints it.
inline void print_flags(const CLI::App& app, enas::io::RunLog& log) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto* opt : app.get_options()) {
    std::string name = opt->get_name(false, true);
    if (name.empty() || name.find("--help") != std::string::npos) continue;
    while (!name.empty() && name.front() == '-') name.erase(name.begin());
    if (const auto comma = name.find(','); comma != std::string::npos) name = name.substr(0, comma);
    std::string value = opt->count() > 0 ? opt->as<std::string>() : opt->get_default_str();
    if (value.empty() && opt->get_items_expected_max() == 0) value = opt->count() > 0 ? "true" : "false";
    rows.emplace_back(name, value);
  }
  std::sort(rows.begin(), rows.end());
  log.line(std::string(80, '-'));
  for (const auto& [name, value] : rows) {
    const auto dots = name.size() + value.size() < 80 ? 80 - name.size() - value.size() : 1;
    log.line(name + std::string(dots, '.') + value);
  }
  log.line(std::string(80, '-'));
}

/// Creates --output_dir, or deletes and recreates it with --reset_output_dir.
inline std::filesystem::path prepare_output_dir(const Common& c) {
  namespace fs = std::filesystem;
  const fs::path dir = c.output_dir;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw enas::ConfigError("--output_dir " + dir.string() + " is a file: expected a folder (or a path to create one)");
  }
  if (c.reset_output_dir && fs::exists(dir)) fs::remove_all(dir, ec);
  if (ec) throw enas::ConfigError("cannot reset --output_dir " + dir.string() + ": " + ec.message());
  fs::create_directories(dir, ec);
  if (ec) throw enas::ConfigError("cannot create --output_dir " + dir.string() + ": " + ec.message());
  return dir;
}

/// Process settings every program makes before any tensor exists. Launched as one of several
/// processes, --threads defaults to this machine's cores shared among its ranks, and `cuda` means
/// the rank's own GPU, cuda:LOCAL_RANK.
inline at::Device setup_runtime(const Common& c, const enas::dist::LaunchInfo& launch, bool threads_given) {
  enas::tune_host_allocator();
  enas::set_threads(launch.distributed() && !threads_given ? launch.default_threads(enas::hardware_threads()) : c.threads);
  enas::seed_everything(c.seed);
  const auto device = enas::parse_device(c.device);
  if (launch.distributed() && device.is_cuda() && !device.has_index()) {
    return enas::parse_device("cuda:" + std::to_string(launch.local_rank));
  }
  return device;
}

/// Writes `<dir>/plots/` from metrics.jsonl (gnuplot); a problem is reported, never fatal.
inline void plot_curves(const std::filesystem::path& dir, enas::io::RunLog& log) {
  try {
    const auto written = enas::report::plot_run(dir);
    if (!written.files.empty()) log.line(fmt::format("plots: {}", (dir / "plots").string()));
    if (!written.message.empty()) log.line(written.message);
  } catch (const enas::Error& e) {
    log.line(fmt::format("warning: no plots: {}", e.what()));
  }
}

/// Draws an architecture as <out>.dot (and .png/.svg with graphviz); a problem is reported.
template <class Space>
void draw_arch(const typename Space::Arch& arch, const std::filesystem::path& out, enas::io::RunLog& log) {
  try {
    const auto written = enas::report::render_dot(enas::report::to_dot<Space>(arch), out);
    for (const auto& f : written.files) log.line(fmt::format("picture: {}", f.string()));
    if (!written.message.empty()) log.line(written.message);
  } catch (const enas::Error& e) {
    log.line(fmt::format("warning: no picture: {}", e.what()));
  }
}

/// The end of a search: the best five derived architectures, the spread of all their scores (how
/// much one validation minibatch tells architectures apart with these shared weights), a warning
/// if the best is degenerate, best_arc.txt, its picture and the plots. `Net` is the Supernet.
template <class Net, class Ranked>
void report_derived(const Ranked& ranked, const std::string& score_name, const std::filesystem::path& dir, bool plot,
                    enas::io::RunLog& log) {
  using Space = typename Net::space_type;
  for (std::size_t i = 0; i < std::min<std::size_t>(5, ranked.size()); ++i) {
    log.arch(Space::format(ranked[i].arch), score_name, ranked[i].score, "derive");
  }
  const auto& worst = ranked.back();
  const auto& median = ranked[ranked.size() / 2];
  log.line(fmt::format("derived from {} architectures: {} best={:.4f} median={:.4f} worst={:.4f}", ranked.size(),
                       score_name, ranked.front().score, median.score, worst.score));
  log.record({{"event", "derive_spread"}, {"count", ranked.size()}, {"best", ranked.front().score},
              {"median", median.score}, {"worst", worst.score}});
  Net::warn_if_degenerate(log, ranked.front().arch);
  const auto best = Space::format(ranked.front().arch);
  std::ofstream(dir / "best_arc.txt") << best << '\n';
  log.record({{"event", "best_arc"}, {"arc", best}});
  log.line("best_arc=" + best);
  if (plot) {
    draw_arch<Space>(ranked.front().arch, dir / "best_arc", log);
    plot_curves(dir, log);
  }
}

/// The architecture a flag gives, with the flag's name in front of any error.
template <class Space>
typename Space::Arch parse_arc_flag(const std::string& flag, const std::string& text) {
  try {
    return Space::parse(text);
  } catch (const enas::ArcError& e) {
    throw enas::ArcError(flag + ": " + e.what());
  }
}

/// Thrown when a run stopped on SIGINT/SIGTERM after writing its checkpoint.
struct Stopped {
  std::string message;
};

/// Resumes `run` from --output_dir when it holds a checkpoint (unless --reset_output_dir), runs
/// `train(hooks)`, checkpoints at every epoch end and when stopped by a signal (then throws
/// Stopped), and once more at the end. A new run first checkpoints its initial state, so that a
/// run killed in its first epoch restarts from it with its log cut back to it, as a later one.
template <class Run, class Train>
void train_with_checkpoints(Run& run, const std::filesystem::path& dir, const nlohmann::json& config,
                            enas::io::RunLog& log, Train&& train) {
  enas::Checkpointing<Run> checkpoints(run, dir, config, log);
  if (!checkpoints.resume()) checkpoints.save();
  if (train(checkpoints.hooks()) == enas::RunStatus::kStopped) {
    const auto file = checkpoints.save();
    throw Stopped{fmt::format("stopped at step {}; checkpoint {} written; run the same command to resume", run.step(),
                              file.string())};
  }
  checkpoints.save();
}

/// The configuration a checkpoint records (everything but run control and paths).
inline nlohmann::json run_config(const std::string& program, std::string_view space, const Common& c,
                                 nlohmann::json options) {
  return {{"program", program}, {"space", std::string(space)}, {"seed", c.seed}, {"options", std::move(options)}};
}

/// Which split a run trains on: a search holds out a validation split to score architectures on,
/// a final training trains on everything it may.
enum class RunKind { kSearch, kFinal };

/// Penn Treebank, with where it came from in the log.
inline enas::data::PtbCorpus load_data(const Common& common, RunKind, enas::io::RunLog& log,
                                       const enas::data::PtbCorpus* /*type tag*/) {
  const auto dir = enas::data::locate_ptb(common.data_path, ENAS_PROJECT_DIR);
  auto corpus = enas::data::load_ptb(dir);
  log.line(fmt::format("data_path={} train_size={} valid_size={} test_size={} vocab={}", dir.string(),
                       corpus.train.size(), corpus.valid.size(), corpus.test.size(), corpus.vocab_size()));
  return corpus;
}

/// CIFAR-10 with the validation split held out (search) or not (final), with where it came from.
inline enas::data::Cifar10Data load_data(const Common& common, RunKind kind, enas::io::RunLog& log,
                                         const enas::data::Cifar10Data* /*type tag*/) {
  const auto dir = enas::data::locate_cifar10(common.data_path, ENAS_PROJECT_DIR);
  auto data = enas::data::load_cifar10(
      dir, kind == RunKind::kSearch ? enas::data::Cifar10Split::kHoldOutValidation : enas::data::Cifar10Split::kTrainOnAll);
  log.line(fmt::format("data_path={} train_size={} valid_size={} test_size={}", dir.string(), data.train.size(),
                       data.valid.size(), data.test.size()));
  if (data.test_is_held_out) log.line(data.note);
  return data;
}

/// The lines every run prints once its task is built; the run joins the process group here.
template <class Run>
void log_task(Run& run, const std::shared_ptr<enas::dist::ProcessGroup>& group, const at::Device& device,
              enas::io::RunLog& log) {
  run.distribute(group);
  log.line(fmt::format("params={}", run.task().num_parameters()));
  log.line(fmt::format("device={} threads={} batches_per_epoch={}", device.str(), at::get_num_threads(),
                       run.task().batches_per_epoch()));
}

/// What every run does first: the launch read (torchrun, mpirun, srun, or one process), process
/// settings, the ranks joined, the output folder and its log (rank 0's; the other ranks write
/// nothing), the configuration printed, the data loaded; then `body(device, dir, log, data, group)`.
template <class Data, class Body>
void start_run(const Common& common, const CLI::App& app, RunKind kind, Body&& body) {
  const auto launch = enas::dist::read_launch();
  const auto device = setup_runtime(common, launch, app.count("--threads") > 0);
  std::shared_ptr<enas::dist::ProcessGroup> group;
  if (launch.distributed()) {
    enas::dist::GroupOptions options;
    options.timeout = std::chrono::seconds(common.dist_timeout);
    options.stop_vote_steps = common.dist_stop_steps;
    group = enas::dist::ProcessGroup::connect(launch, device, options);
  }
  const bool writer = launch.rank == 0;
  const auto dir = writer ? prepare_output_dir(common) : std::filesystem::path(common.output_dir);
  if (group) group->barrier();  // the folder exists (and was reset) before any rank reads it
  enas::io::RunLog log(writer ? dir : std::filesystem::path(), writer);
  print_flags(app, log);
  log.line(fmt::format("world_size={} launcher={} backend={}", launch.world_size, launch.launcher,
                       group ? group->backend() : std::string("none")));
  log.record({{"event", "world"}, {"world_size", launch.world_size}, {"launcher", launch.launcher}});
  const auto data = load_data(common, kind, log, static_cast<const Data*>(nullptr));
  body(device, dir, log, data, group);
}

/// A search of `Space` with `Controller`: configuration, data, params=, the loop with checkpoints,
/// derive; writes best_arc.txt (and its picture and the plots).
template <class Space, class Controller, class Options>
void run_search(const Common& common, const Options& options, const enas::ControllerOptions& controller_options,
                const CLI::App& app) {
  using Net = enas::Supernet<Space, Controller>;
  using Task = typename Net::Task;
  enas::require_data_parallel<Task>(enas::dist::read_launch().world_size, Net::run_name());  // before any work
  start_run<typename Task::Data>(common, app, RunKind::kSearch, [&](const at::Device& device, const auto& dir,
                                                                    enas::io::RunLog& log, const auto& data,
                                                                    const auto& group) {
    Net net(options, controller_options, data, device, common.seed);
    log_task(net, group, device, log);
    if (options.max_steps == 0) return;
    auto config = run_config(app.get_name(), Space::name, common, enas::io::to_json(options));
    config["controller"] = enas::io::to_json(controller_options);
    config["search_for"] = Controller::is_trainable ? "enas" : "random";
    train_with_checkpoints(net, dir, config, log, [&](const enas::RunHooks& hooks) { return net.search(log, hooks); });
    log.line(fmt::format("Deriving: {} sampled architectures, each scored by {} on one validation batch",
                         options.derive_samples, Task::sample_score_name));
    const auto ranked = net.derive(options.derive_samples);  // every rank: the scores are spread over them
    if (!group || group->rank() == 0) report_derived<Net>(ranked, Task::sample_score_name, dir, common.plot, log);
  });
}

/// Final training of one architecture of `Space`: configuration, data, params=, the loop with
/// checkpoints, the plots.
template <class Space, class Options>
void run_final(const Common& common, const Options& options, const typename Space::Arch& arch, const CLI::App& app) {
  using Run = enas::FinalTraining<Space>;
  enas::require_data_parallel<typename Run::Task>(enas::dist::read_launch().world_size, Run::run_name());
  start_run<typename Run::Task::Data>(common, app, RunKind::kFinal, [&](const at::Device& device, const auto& dir,
                                                                        enas::io::RunLog& log, const auto& data,
                                                                        const auto& group) {
    Run run(arch, options, data, device, common.seed);
    log.line(fmt::format("arc={}", Space::format(arch)));
    log_task(run, group, device, log);
    if (options.max_steps == 0) return;
    auto config = run_config(app.get_name(), Space::name, common, enas::io::to_json(options));
    config["arc"] = Space::format(arch);
    train_with_checkpoints(run, dir, config, log, [&](const enas::RunHooks& hooks) { return run.run(log, hooks); });
    if (common.plot && (!group || group->rank() == 0)) plot_curves(dir, log);
  });
}

/// When `e` says that memory ran out (host: LibTorch's CPU allocator or std::bad_alloc, under a
/// `ulimit -v` or not; device: CUDA's allocator), what ran out and the flags of `app` that set
/// the memory a run needs, with their values; empty otherwise.
inline std::string out_of_memory_advice(const CLI::App& app, const std::exception& e) {
  const std::string what = e.what();
  const bool host = dynamic_cast<const std::bad_alloc*>(&e) != nullptr ||
                    what.find("can't allocate memory") != std::string::npos;
  const bool device = what.find("CUDA out of memory") != std::string::npos ||
                      what.find("CUDA error: out of memory") != std::string::npos;
  if (!host && !device) return {};
  std::string bytes;
  if (const auto at = what.find("you tried to allocate "); at != std::string::npos) {
    bytes = what.substr(at + 22, what.find(' ', at + 22) - (at + 22));
  }
  std::vector<std::string> flags;
  const bool ptb = app.get_name().rfind("ptb", 0) == 0;  // PTB's --child_num_layers is accepted and ignored
  const auto names = ptb ? std::vector<const char*>{"--batch_size", "--child_lstm_hidden_size", "--child_bptt_steps"}
                         : std::vector<const char*>{"--batch_size", "--eval_batch_size", "--child_out_filters",
                                                    "--child_num_layers"};
  for (const char* name : names) {
    try {
      const auto* opt = app.get_option(name);
      flags.push_back(fmt::format("{} (now {})", name, opt->as<std::string>()));
    } catch (const CLI::OptionNotFound&) {
    }
  }
  std::string list;
  for (std::size_t i = 0; i < flags.size(); ++i) list += (i == 0 ? "" : i + 1 == flags.size() ? " or " : ", ") + flags[i];
  return fmt::format("out of {} memory{}: this configuration does not fit{}. Lower {}", host ? "host" : "device",
                     bytes.empty() ? "" : fmt::format(" (an allocation of {} bytes failed)", bytes),
                     host ? " in the memory this process may use (the machine's, or a `ulimit -v` limit)"
                          : " in the GPU's memory",
                     list);
}

/// Parses flags and runs `body`, turning every error into one line on stderr and exit code 1
/// (flag errors: CLI11's message and exit code; a signal stop: exit code 130; memory that ran out:
/// what to lower).
inline int run(CLI::App& app, int argc, char** argv, const std::function<void()>& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  enas::install_stop_handlers();
  try {
    body();
  } catch (const Stopped& s) {
    fmt::print(stderr, "{}: {}\n", app.get_name(), s.message);
    return 130;
  } catch (const enas::Error& e) {
    fmt::print(stderr, "{}: error: {}\n", app.get_name(), e.what());
    return 1;
  } catch (const std::exception& e) {
    if (const auto advice = out_of_memory_advice(app, e); !advice.empty()) {
      fmt::print(stderr, "{}: error: {}\n", app.get_name(), advice);
      return 1;
    }
    const std::string what = e.what();  // LibTorch appends its C++ backtrace: the first line says it
    fmt::print(stderr, "{}: unexpected error: {}\n", app.get_name(), what.substr(0, what.find('\n')));
    return 1;
  }
  return 0;
}

/// What every program is: its command line with the common flags and a flag for each field of
/// `Options` (its fields() table) whose tags miss `skip_tags`, defaults from `defaults`.
template <class Options>
struct Program {
  Program(const std::string& name, const std::string& about, Options defaults, unsigned skip_tags)
      : app(about, name), options(std::move(defaults)) {
    add_common(app, common);
    add_flags(app, options, skip_tags);
  }
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  /// Parses the flags and runs `body` (program::run).
  int run(int argc, char** argv, const std::function<void()>& body) { return program::run(app, argc, argv, body); }

  CLI::App app;
  Common common;
  Options options;
};

/// A search program: a Program with the controller's flags and `--search_for` (alias
/// `--controller`) choosing the LSTM controller or random search with weight sharing. A program
/// adds its own flags to `app`, then calls run() with a body that checks them and calls
/// search<Space>() (the macro programs choose the Space by --child_num_layers).
template <class Options>
struct SearchProgram : Program<Options> {
  SearchProgram(const std::string& name, const std::string& about, Options defaults,
                enas::ControllerOptions controller_defaults, std::string_view space_name, unsigned skip_tags = 0)
      : Program<Options>(name, about, std::move(defaults), skip_tags | enas::option::kFinalOnly),
        controller(controller_defaults) {
    add_flags(this->app, controller);
    const std::string space(space_name);
    this->app
        .add_option("--search_for,--controller", search_for,
                    "enas (LSTM controller) or random (random search with weight sharing); the space's name, " +
                        space + ", as the reference's CIFAR-10 scripts pass it, also means enas")
        ->check(CLI::IsMember({std::string("enas"), std::string("random"), space}))
        ->capture_default_str();
  }

  /// Searches `Space` with the controller --search_for names.
  template <class Space>
  void search() const {
    this->options.validate();  // refuse a bad value before any work
    controller.validate();
    if (search_for == "random") {
      run_search<Space, enas::controllers::Random<Space>>(this->common, this->options, controller, this->app);
    } else {
      run_search<Space, enas::controllers::Lstm<Space>>(this->common, this->options, controller, this->app);
    }
  }

  enas::ControllerOptions controller;
  std::string search_for = "enas";
};

/// A final-training program: a Program without the search-only flags, with `--child_fixed_arc`
/// (default `default_arc`, described by `arc_help`) and the reference's `--search_for` (enas or the
/// space's name; nothing else is meaningful without a search).
template <class Options>
struct FinalProgram : Program<Options> {
  FinalProgram(const std::string& name, const std::string& about, Options defaults, std::string_view space_name,
               std::string default_arc, const std::string& arc_help, unsigned skip_tags = 0)
      : Program<Options>(name, about, std::move(defaults), skip_tags | enas::option::kSearchOnly),
        fixed_arc(std::move(default_arc)) {
    this->app.add_option("--child_fixed_arc", fixed_arc, arc_help)->capture_default_str();
    const std::string space(space_name);
    this->app
        .add_option("--search_for", search_for, "enas or " + space + " (the reference's values; a final run searches nothing)")
        ->check(CLI::IsMember({std::string("enas"), space}))
        ->capture_default_str();
  }

  /// --child_fixed_arc as an architecture of `Space`, the flag named in any error.
  template <class Space>
  typename Space::Arch arch() const {
    return parse_arc_flag<Space>("--child_fixed_arc", fixed_arc);
  }

  /// Trains `arch` (parse it with arch<Space>() first to refuse a bad one before any work).
  template <class Space>
  void train(const typename Space::Arch& arch) const {
    this->options.validate();  // refuse a bad value before any work
    run_final<Space>(this->common, this->options, arch, this->app);
  }

  std::string fixed_arc;
  std::string search_for = "enas";
};

}  // namespace program

#endif  // ENAS_EXAMPLES_PROGRAM_HPP
