/// @file
/// @brief Training curves of a run: reads <output_dir>/metrics.jsonl (io/run_log.hpp) and draws
/// the child loss and training metric, the evaluations and the controller's reward and entropy
/// with gnuplot into <output_dir>/plots/ (PNG and SVG), next to the data and the script.
#ifndef ENAS_REPORT_PLOT_HPP
#define ENAS_REPORT_PLOT_HPP

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/io/external_tool.hpp"

namespace enas::report {

/// The training metrics a "child" event may carry (perplexity for PTB, accuracy for CIFAR-10).
inline constexpr std::array<std::string_view, 2> kTrainingMetrics{"tr_ppl", "tr_acc"};
/// The metrics an "eval" event may carry.
inline constexpr std::array<std::string_view, 4> kEvalMetrics{"valid_ppl", "test_ppl", "valid_acc", "test_acc"};

/// The plottable events of a run, in file order. A value the line lacks, or logged as null (a
/// non-finite number in JSON), is NaN.
struct RunMetrics {
  struct Child {
    double step, epoch, loss, lr, grad_norm;
    std::array<double, kTrainingMetrics.size()> training;  ///< indexed like kTrainingMetrics
  };
  struct Controller {
    double step, loss, entropy, reward, baseline;
  };
  struct Eval {
    double epoch, step;
    std::size_t metric;  ///< index into kEvalMetrics
    double value;
  };
  std::vector<Child> child;
  std::vector<Controller> controller;
  std::vector<Eval> eval;

  bool empty() const { return child.empty() && controller.empty() && eval.empty(); }
};

namespace detail {

/// Reads one numeric field of a metrics line; null reads as NaN, an absent field as NaN unless
/// `required`.
inline double metric_field(const nlohmann::json& line, const char* key, bool required, const std::string& where) {
  const auto it = line.find(key);
  if (it == line.end()) {
    if (required) throw DataError(where + ": " + line.value("event", std::string()) + " event has no \"" + key + "\"");
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (it->is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (!it->is_number()) throw DataError(where + ": \"" + key + "\" is " + it->dump() + ", expected a number");
  return it->get<double>();
}

/// A number for a data file: shortest round-trip form, NaN as gnuplot's "NaN".
inline std::string data_number(double v) { return std::isnan(v) ? "NaN" : fmt::format("{}", v); }

/// A gnuplot single-quoted string (no escapes are interpreted; a quote is doubled).
inline std::string gnuplot_quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

inline void write_text_file(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw ConfigError("cannot write " + file.string());
}

inline bool any_training_metric(const RunMetrics& m, std::size_t k) {
  for (const auto& c : m.child)
    if (!std::isnan(c.training[k])) return true;
  return false;
}

inline bool any_eval_metric(const RunMetrics& m, std::size_t k) {
  for (const auto& e : m.eval)
    if (e.metric == k) return true;
  return false;
}

inline std::string eval_data_file(std::size_t k) { return "eval_" + std::string(kEvalMetrics[k]) + ".dat"; }

/// One chart of the script, drawn to <name>.png and again to <name>.svg.
inline std::string gnuplot_chart(const std::string& name, const std::string& title, const std::string& xlabel,
                                 const std::string& ylabel, bool log_y, const std::string& xtics,
                                 const std::string& plot) {
  std::string out = "\n# " + title + "\n";
  out += log_y ? "set logscale y\n" : "unset logscale y\n";
  out += "set xtics " + xtics + "\n";
  out += "set title " + gnuplot_quote(title) + "\n";
  out += "set xlabel " + gnuplot_quote(xlabel) + "\n";
  out += "set ylabel " + gnuplot_quote(ylabel) + "\n";
  out += "eval png_terminal\nset output " + gnuplot_quote(name + ".png") + "\n";
  out += "plot " + plot + "\n";
  out += "eval svg_terminal\nset output " + gnuplot_quote(name + ".svg") + "\nreplot\nset output\n";
  return out;
}

/// The charts the script draws for these metrics, as (name, gnuplot commands).
inline std::vector<std::pair<std::string, std::string>> gnuplot_charts(const RunMetrics& m, const std::string& run) {
  std::vector<std::pair<std::string, std::string>> charts;
  const auto add = [&](const std::string& name, const std::string& title, const std::string& xlabel,
                       const std::string& ylabel, bool log_y, const std::string& plot,
                       const std::string& xtics = "autofreq") {
    charts.emplace_back(name, gnuplot_chart(name, run + ": " + title, xlabel, ylabel, log_y, xtics, plot));
  };
  if (!m.child.empty()) {
    add("child_loss", "child loss", "child step", "loss", false,
        "'child.dat' using 1:3 with lines lw 1.5 title 'loss'");
    int column = 6;  // child.dat: step epoch loss lr grad_norm, then the training metrics present
    for (std::size_t k = 0; k < kTrainingMetrics.size(); ++k) {
      if (!any_training_metric(m, k)) continue;
      const std::string metric(kTrainingMetrics[k]);
      const bool ppl = metric == "tr_ppl";
      add("child_" + metric, ppl ? "training perplexity" : "training accuracy", "child step",
          ppl ? "perplexity" : "accuracy", ppl,
          "'child.dat' using 1:" + std::to_string(column) + " with lines lw 1.5 title " + gnuplot_quote(metric));
      ++column;
    }
  }
  // Whole epochs on the axis of a short run; gnuplot's own ticks otherwise.
  double last_epoch = 0.0;
  for (const auto& e : m.eval) last_epoch = std::max(last_epoch, e.epoch);
  const std::string epoch_tics = last_epoch <= 20.0 ? "1" : "autofreq";
  for (const std::string kind : {"ppl", "acc"}) {
    std::string plot;
    for (std::size_t k = 0; k < kEvalMetrics.size(); ++k) {
      const std::string metric(kEvalMetrics[k]);
      if (!any_eval_metric(m, k) || metric.substr(metric.size() - 3) != kind) continue;
      if (!plot.empty()) plot += ", \\\n     ";
      plot += gnuplot_quote(eval_data_file(k)) + " using 1:3 with linespoints pt 7 lw 1.5 title " + gnuplot_quote(metric);
    }
    if (plot.empty()) continue;
    add("eval_" + kind, kind == "ppl" ? "evaluation perplexity" : "evaluation accuracy", "epoch",
        kind == "ppl" ? "perplexity" : "accuracy", kind == "ppl", plot, epoch_tics);
  }
  if (!m.controller.empty()) {
    // One line per sample, several per controller step: points, their mean per step, the baseline.
    add("controller_reward", "controller reward", "controller step", "reward", false,
        "'controller.dat' using 1:4 with points pt 7 ps 0.3 lc rgb '#a6cee3' title 'reward (samples)', \\\n"
        "     'controller.dat' using 1:4 smooth unique with lines lw 1.5 lc rgb '#1f78b4' title 'reward (mean)', \\\n"
        "     'controller.dat' using 1:5 with lines lw 1.5 lc rgb '#e31a1c' title 'baseline'");
    add("controller_entropy", "controller entropy", "controller step", "entropy", false,
        "'controller.dat' using 1:3 with points pt 7 ps 0.3 lc rgb '#b2df8a' title 'entropy (samples)', \\\n"
        "     'controller.dat' using 1:3 smooth unique with lines lw 1.5 lc rgb '#33a02c' title 'entropy (mean)'");
  }
  return charts;
}

}  // namespace detail

/// Reads a metrics.jsonl file. Events other than "child", "controller" and "eval", and keys other
/// than the plotted ones, are skipped; blank lines too. Throws DataError naming the file and the
/// line for a line that is not a JSON object, lacks the x or y value of its event (child: step,
/// loss; controller: ctrl_step, reward; eval: epoch) or holds a non-number there.
inline RunMetrics read_metrics(const std::filesystem::path& metrics_file) {
  std::ifstream in(metrics_file);
  if (!in) throw DataError("cannot read the metrics file " + metrics_file.string());
  RunMetrics metrics;
  std::string text;
  for (std::size_t number = 1; std::getline(in, text); ++number) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = metrics_file.string() + " line " + std::to_string(number);
    const auto line = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_discarded()) throw DataError(where + ": not valid JSON: " + text.substr(0, 80));
    if (!line.is_object()) throw DataError(where + ": expected a JSON object, got " + text.substr(0, 80));
    const auto event = line.find("event");
    if (event == line.end()) continue;
    if (!event->is_string()) throw DataError(where + ": \"event\" is " + event->dump() + ", expected a string");
    const auto field = [&](const char* key, bool required) { return detail::metric_field(line, key, required, where); };
    const std::string kind = event->get<std::string>();
    if (kind == "child") {
      RunMetrics::Child c{field("step", true), field("epoch", false), field("loss", true), field("lr", false),
                          field("grad_norm", false), {}};
      for (std::size_t k = 0; k < kTrainingMetrics.size(); ++k) {
        c.training[k] = field(std::string(kTrainingMetrics[k]).c_str(), false);
      }
      metrics.child.push_back(c);
    } else if (kind == "controller") {
      metrics.controller.push_back({field("ctrl_step", true), field("loss", false), field("entropy", false),
                                    field("reward", true), field("baseline", false)});
    } else if (kind == "eval") {
      const double epoch = field("epoch", true);
      const double step = field("step", false);
      for (std::size_t k = 0; k < kEvalMetrics.size(); ++k) {
        const std::string key(kEvalMetrics[k]);
        if (line.contains(key)) metrics.eval.push_back({epoch, step, k, field(key.c_str(), true)});
      }
    }
  }
  return metrics;
}

/// The gnuplot script for these metrics, reading the data files that write_plot_sources writes
/// next to it; `run` names the run in the titles. It picks pngcairo when gnuplot has it, else png.
inline std::string gnuplot_script(const RunMetrics& metrics, const std::string& run) {
  std::string out = "# Training curves of " + run + ", written by enas::report::plot_run (enas_plot).\n";
  out += "# Edit and redraw from this folder: gnuplot plots.gp\n";
  out += "# child.dat: step epoch loss lr grad_norm and the training metric; controller.dat: ctrl_step loss\n";
  out += "# entropy reward baseline (one line per sample); eval_<metric>.dat: epoch step value.\n";
  out += "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n";
  out += "  png_terminal = \"set terminal pngcairo size 1000,600 noenhanced font 'Sans,11'\"\n";
  out += "} else {\n";
  out += "  png_terminal = \"set terminal png size 1000,600 noenhanced\"\n";
  out += "}\n";
  out += "svg_terminal = \"set terminal svg size 1000,600 dynamic noenhanced font 'Sans,11'\"\n";
  out += "set grid\nset key below\nset offsets graph 0.02, graph 0.02, 0, 0\n";
  for (const auto& [name, commands] : detail::gnuplot_charts(metrics, run)) out += commands;
  return out;
}

/// Writes the data files and plots.gp into `plots_dir` (created) and returns them. Throws
/// ConfigError naming the path when one cannot be written.
inline std::vector<std::filesystem::path> write_plot_sources(const RunMetrics& metrics,
                                                             const std::filesystem::path& plots_dir,
                                                             const std::string& run) {
  using detail::data_number;
  std::error_code ec;
  std::filesystem::create_directories(plots_dir, ec);
  if (ec) throw ConfigError("cannot create the plots folder " + plots_dir.string() + ": " + ec.message());
  std::vector<std::filesystem::path> files;
  const auto write = [&](const std::string& name, const std::string& text) {
    files.push_back(plots_dir / name);
    detail::write_text_file(files.back(), text);
  };
  if (!metrics.child.empty()) {
    std::string text = "# step epoch loss lr grad_norm";
    for (std::size_t k = 0; k < kTrainingMetrics.size(); ++k)
      if (detail::any_training_metric(metrics, k)) text += " " + std::string(kTrainingMetrics[k]);
    text += '\n';
    for (const auto& c : metrics.child) {
      text += data_number(c.step) + ' ' + data_number(c.epoch) + ' ' + data_number(c.loss) + ' ' + data_number(c.lr) +
              ' ' + data_number(c.grad_norm);
      for (std::size_t k = 0; k < kTrainingMetrics.size(); ++k)
        if (detail::any_training_metric(metrics, k)) text += ' ' + data_number(c.training[k]);
      text += '\n';
    }
    write("child.dat", text);
  }
  if (!metrics.controller.empty()) {
    std::string text = "# ctrl_step loss entropy reward baseline\n";
    for (const auto& c : metrics.controller) {
      text += data_number(c.step) + ' ' + data_number(c.loss) + ' ' + data_number(c.entropy) + ' ' +
              data_number(c.reward) + ' ' + data_number(c.baseline) + '\n';
    }
    write("controller.dat", text);
  }
  for (std::size_t k = 0; k < kEvalMetrics.size(); ++k) {
    if (!detail::any_eval_metric(metrics, k)) continue;
    std::string text = "# epoch step " + std::string(kEvalMetrics[k]) + '\n';
    for (const auto& e : metrics.eval)
      if (e.metric == k) text += data_number(e.epoch) + ' ' + data_number(e.step) + ' ' + data_number(e.value) + '\n';
    write(detail::eval_data_file(k), text);
  }
  write("plots.gp", gnuplot_script(metrics, run));
  return files;
}

/// Plots the run in `output_dir`: reads its metrics.jsonl, writes the data and plots.gp into
/// `output_dir/plots/` and, when gnuplot is on PATH, draws every chart there as PNG and SVG.
/// Without gnuplot the result's message says which package to install and that the data and
/// the script were written. Throws DataError for a missing or malformed metrics.jsonl (file and
/// line named) or when gnuplot fails (with its message), ConfigError when plots/ is not writable.
inline io::WrittenFiles plot_run(const std::filesystem::path& output_dir) {
  namespace fs = std::filesystem;
  const fs::path metrics_file = output_dir / "metrics.jsonl";
  if (!fs::exists(metrics_file)) {
    throw DataError("no metrics.jsonl in " + output_dir.string() + ": expected the output folder of an enas run");
  }
  const RunMetrics metrics = read_metrics(metrics_file);
  io::WrittenFiles written;
  if (metrics.empty()) {
    written.message = "nothing to plot: " + metrics_file.string() + " has no child, controller or eval events yet";
    return written;
  }
  const fs::path plots_dir = output_dir / "plots";
  const fs::path absolute = fs::absolute(output_dir).lexically_normal();  // "." and "run/" name the folder too
  const std::string run = (absolute.has_filename() ? absolute.filename() : absolute.parent_path().filename()).string();
  written.files = write_plot_sources(metrics, plots_dir, run);

  const auto gnuplot = io::find_program("gnuplot");
  if (!gnuplot) {
    written.message = "gnuplot is not installed (Debian/Ubuntu: apt-get install gnuplot-nox), so no pictures were "
                      "drawn; the data and the script are in " + plots_dir.string() +
                      ": run gnuplot plots.gp there once it is installed";
    return written;
  }
  const fs::path folder = fs::absolute(plots_dir);
  const auto result = io::run_program(*gnuplot, {"-e", "cd " + detail::gnuplot_quote(folder.string()),
                                             (folder / "plots.gp").string()});
  if (result.exit_status != 0) throw DataError(io::detail::describe_failure("gnuplot " + (folder / "plots.gp").string(), result));
  for (const auto& chart : detail::gnuplot_charts(metrics, run)) {
    for (const char* extension : {".png", ".svg"}) {
      const fs::path image = plots_dir / (chart.first + extension);
      if (!fs::exists(image)) throw DataError("gnuplot ran " + (folder / "plots.gp").string() + " but did not write " + image.string());
      written.files.push_back(image);
    }
  }
  return written;
}

}  // namespace enas::report

#endif  // ENAS_REPORT_PLOT_HPP
