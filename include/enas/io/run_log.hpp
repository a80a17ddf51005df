/// @file
/// @brief The record of a run: the reference's log lines on stdout (and in <output_dir>/stdout),
/// and one JSON object per event in <output_dir>/metrics.jsonl.
#ifndef ENAS_IO_RUN_LOG_HPP
#define ENAS_IO_RUN_LOG_HPP

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "enas/core/error.hpp"
#include "enas/io/progress.hpp"

namespace enas::io {

struct ChildEvent;
struct ControllerEvent;

/// How a family's log lines look: one function per kind of line, given the event and the minutes
/// since the start. A task names its format (`static constexpr const io::LogFormat* log_format`);
/// the reference's two are kPtbLogFormat (src/ptb/main.py) and kCifarLogFormat
/// (src/cifar10/main.py), and a new family may bring its own.
struct LogFormat {
  std::string (*child)(const ChildEvent&, double minutes);
  std::string (*controller)(const ControllerEvent&, double minutes);
};

/// One child (shared or fixed model) training log line.
struct ChildEvent {
  std::int64_t epoch = 0;
  std::int64_t step = 0;
  double loss = 0.0;
  double lr = 0.0;
  double grad_norm = 0.0;
  std::string metric_name;  ///< "tr_ppl" (PTB) or "tr_acc" (CIFAR)
  double metric = 0.0;
  std::string metric_text;  ///< how the metric prints, e.g. "93/128" for tr_acc; empty: 2 decimals
  std::string arc;          ///< the architecture of the step (search only)
};

/// One controller log line (one sample of a controller phase).
struct ControllerEvent {
  std::int64_t step = 0;  ///< controller updates so far
  double loss = 0.0;
  double entropy = 0.0;
  double lr = 0.0;
  double grad_norm = 0.0;
  std::string reward_name = "rw";  ///< "rw" (PTB) or "acc" (CIFAR)
  double reward = 0.0;
  double baseline = 0.0;
  std::optional<double> skip_rate;  ///< macro only
  std::string arc;
};

namespace detail {

inline std::string metric_text(const ChildEvent& e) {
  return e.metric_text.empty() ? fmt::format("{:<8.2f}", e.metric) : e.metric_text;
}
inline std::string ptb_child_line(const ChildEvent& e, double minutes) {
  return fmt::format("epoch={:<6d} ch_step={:<6d} loss={:<8.4f} lr={:<8.4f} |g|={:<10.2f} {}={} mins={:<10.2f}", e.epoch,
                     e.step, e.loss, e.lr, e.grad_norm, e.metric_name, metric_text(e), minutes);
}
inline std::string cifar_child_line(const ChildEvent& e, double minutes) {
  return fmt::format("epoch={:<6d}ch_step={:<6d} loss={:<8.6f} lr={:<8.4f} |g|={:<8.4f} {}={} mins={:<10.2f}", e.epoch,
                     e.step, e.loss, e.lr, e.grad_norm, e.metric_name, metric_text(e), minutes);
}
inline std::string ptb_controller_line(const ControllerEvent& e, double minutes) {
  return fmt::format("ctrl_step={:<6d} loss={:<7.3f} ent={:<5.2f} lr={:<6.4f} |g|={:<10.7f} {}={:<7.3f} bl={:<7.3f} mins={:<.2f}",
                     e.step, e.loss, e.entropy, e.lr, e.grad_norm, e.reward_name, e.reward, e.baseline, minutes);
}
inline std::string cifar_controller_line(const ControllerEvent& e, double minutes) {
  return fmt::format("ctrl_step={:<6d} loss={:<7.3f} ent={:<5.2f} lr={:<6.4f} |g|={:<8.4f} {}={:<6.4f} bl={:<5.2f} mins={:<.2f}",
                     e.step, e.loss, e.entropy, e.lr, e.grad_norm, e.reward_name, e.reward, e.baseline, minutes);
}

}  // namespace detail

/// src/ptb/main.py's lines.
inline constexpr LogFormat kPtbLogFormat{&detail::ptb_child_line, &detail::ptb_controller_line};
/// src/cifar10/main.py's lines.
inline constexpr LogFormat kCifarLogFormat{&detail::cifar_child_line, &detail::cifar_controller_line};

namespace detail {
/// A process killed while writing a line leaves it unfinished: it is cut off before the files
/// are appended to again, so that every line of metrics.jsonl stays a whole JSON object.
inline void drop_torn_line(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0) return;
  std::ifstream in(path, std::ios::binary);
  std::uintmax_t keep = size;
  char c = 0;
  while (keep > 0) {  // back to the last newline
    in.seekg(static_cast<std::streamoff>(keep - 1));
    if (!in.get(c) || c == '\n') break;
    --keep;
  }
  if (!in) return;
  in.close();
  if (keep < size) std::filesystem::resize_file(path, keep, ec);
}
}  // namespace detail

/// Writes the log of a run. Without an output folder it only prints.
class RunLog {
 public:
  explicit RunLog(std::filesystem::path output_dir = {}, bool echo = true)
      : dir_(std::move(output_dir)), echo_(echo), start_(std::chrono::steady_clock::now()) {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(dir_, ec);
      if (ec) throw ConfigError("cannot create --output_dir " + dir_.string() + ": " + ec.message());
      detail::drop_torn_line(dir_ / "stdout");
      detail::drop_torn_line(dir_ / "metrics.jsonl");
      stdout_.open(dir_ / "stdout", std::ios::app);
      metrics_.open(dir_ / "metrics.jsonl", std::ios::app);
      if (!stdout_ || !metrics_) throw ConfigError("cannot write into --output_dir " + dir_.string());
    }
  }

  /// Minutes since the log started (the reference's mins=), plus any time of earlier segments of
  /// a resumed run.
  /// Whether the log lines go to the standard output too.
  bool echoes() const { return echo_; }

  double minutes() const {
    return offset_minutes_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() / 60.0;
  }
  void set_minutes_offset(double minutes) { offset_minutes_ = minutes; }

  /// Shows `progress` (or nothing) on the terminal below the log; log lines erase it first.
  void set_progress(Progress* progress) { progress_ = progress; }

  /// A free-form line (configuration, section headers).
  void line(const std::string& text) {
    if (progress_ != nullptr) progress_->clear();
    if (echo_) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
    if (stdout_) stdout_ << text << '\n' << std::flush;
  }

  void child(const ChildEvent& e, const LogFormat& format) {
    line(format.child(e, minutes()));
    nlohmann::json j{{"event", "child"}, {"epoch", e.epoch}, {"step", e.step}, {"loss", e.loss}, {"lr", e.lr},
                     {"grad_norm", e.grad_norm}, {e.metric_name, e.metric}};
    if (!e.arc.empty()) j["arc"] = e.arc;
    record(std::move(j));
  }

  void controller(const ControllerEvent& e, const LogFormat& format) {
    line(format.controller(e, minutes()));
    nlohmann::json j{{"event", "controller"}, {"ctrl_step", e.step}, {"loss", e.loss}, {"entropy", e.entropy},
                     {"lr", e.lr}, {"grad_norm", e.grad_norm}, {"reward", e.reward}, {"baseline", e.baseline},
                     {"arc", e.arc}};
    if (e.skip_rate) j["skip_rate"] = *e.skip_rate;
    record(std::move(j));
  }

  /// A warning in plain words, marked as such in the log and kept in metrics.jsonl.
  void warning(const std::string& text) {
    line("warning: " + text);
    record({{"event", "warning"}, {"text", text}});
  }

  /// An evaluation result: name is "valid_ppl", "test_ppl", "valid_acc" or "test_acc".
  void eval(std::int64_t epoch, std::int64_t step, const std::string& name, double value) {
    const bool accuracy = name.find("acc") != std::string::npos;
    line(accuracy ? fmt::format("{}={:.4f}", name, value) : fmt::format("{}={:.2f}", name, value));
    record({{"event", "eval"}, {"epoch", epoch}, {"step", step}, {name, value}});
  }

  /// A scored architecture ("Here are 10 architectures", derive).
  void arch(const std::string& arc, const std::string& score_name, double score, const std::string& kind) {
    line(fmt::format("{} {}={:.3f}", arc, score_name, score));
    record({{"event", kind}, {"arc", arc}, {score_name, score}});
  }

  /// Any other event worth keeping in metrics.jsonl (the wall time is added).
  void record(nlohmann::json j) {
    if (!metrics_) return;
    j["mins"] = minutes();
    metrics_ << j.dump() << '\n' << std::flush;
  }

  const std::filesystem::path& output_dir() const { return dir_; }

  /// How far the two files are written: a checkpoint records it, so that resuming from it can cut
  /// away what a killed run logged after it (the resumed run logs those steps again).
  struct Position {
    std::int64_t text = 0;     ///< bytes of <output_dir>/stdout
    std::int64_t metrics = 0;  ///< bytes of <output_dir>/metrics.jsonl
  };
  Position position() {
    if (dir_.empty()) return {};
    stdout_.flush();
    metrics_.flush();
    std::error_code ec;
    const auto size = [&](const char* name) {
      const auto n = std::filesystem::file_size(dir_ / name, ec);
      return ec ? std::int64_t{0} : static_cast<std::int64_t>(n);
    };
    return {size("stdout"), size("metrics.jsonl")};
  }
  /// Cuts both files back to `at` (never lengthens them); later lines are appended after it.
  void rewind(const Position& at) {
    if (dir_.empty()) return;
    stdout_.flush();
    metrics_.flush();
    const auto cut = [&](const char* name, std::int64_t bytes) {
      std::error_code ec;
      const auto path = dir_ / name;
      const auto n = std::filesystem::file_size(path, ec);
      if (!ec && bytes >= 0 && static_cast<std::uintmax_t>(bytes) < n) std::filesystem::resize_file(path, static_cast<std::uintmax_t>(bytes), ec);
    };
    cut("stdout", at.text);
    cut("metrics.jsonl", at.metrics);
  }

 private:
  std::filesystem::path dir_;
  bool echo_;
  std::chrono::steady_clock::time_point start_;
  double offset_minutes_ = 0.0;
  std::ofstream stdout_;
  std::ofstream metrics_;
  Progress* progress_ = nullptr;
};

/// Shows a Progress below a RunLog for the lifetime of the guard, then closes it.
class ProgressGuard {
 public:
  /// A log that does not echo (rank 1 and up of a multi-process run) shows no progress either.
  ProgressGuard(RunLog& log, Progress& progress) : log_(log), progress_(progress) {
    if (!log_.echoes()) progress_.silence();
    log_.set_progress(&progress_);
  }
  ~ProgressGuard() {
    log_.set_progress(nullptr);
    progress_.finish();
  }
  ProgressGuard(const ProgressGuard&) = delete;
  ProgressGuard& operator=(const ProgressGuard&) = delete;

 private:
  RunLog& log_;
  Progress& progress_;
};

}  // namespace enas::io

#endif  // ENAS_IO_RUN_LOG_HPP
