/// @file
/// @brief Progress of a long loop on stderr: a line redrawn in place on a terminal, a plain line
/// every half minute otherwise (so that CI logs stay readable), with rates and the time left.
#ifndef ENAS_IO_PROGRESS_HPP
#define ENAS_IO_PROGRESS_HPP

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iostream>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace enas::io {

/// A duration in whole seconds: "42s", "5m03s", "2h05m"; "?" when negative or not finite.
inline std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0.0) return "?";
  const auto s = static_cast<std::int64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
}

/// A rate to about three significant digits: "4567", "12.3", "1.23", "0.042"; "?" when negative
/// or not finite.
inline std::string format_rate(double per_second) {
  if (!std::isfinite(per_second) || per_second < 0.0) return "?";
  if (per_second >= 100.0) return fmt::format("{:.0f}", per_second);
  if (per_second >= 10.0) return fmt::format("{:.1f}", per_second);
  if (per_second >= 1.0) return fmt::format("{:.2f}", per_second);
  return fmt::format("{:.2g}", per_second);
}

namespace detail {

/// "<what> <done>/<total> steps <r> steps/s <r·u> <unit>/s"; the unit rate only when a step is
/// not simply one step, the total only when known (> 0).
inline std::string progress_counts(std::string_view what, std::int64_t done, std::int64_t total,
                                   std::string_view unit, std::int64_t units_per_step, double steps_per_second) {
  std::string out = fmt::format("{} {}", what, done);
  if (total > 0) out += fmt::format("/{}", total);
  out += fmt::format(" steps {} steps/s", format_rate(steps_per_second));
  if (unit != "steps" || units_per_step != 1) {
    out += fmt::format(" {} {}/s", format_rate(steps_per_second * static_cast<double>(units_per_step)), unit);
  }
  return out;
}

}  // namespace detail

/// The running line: `train 1234/5000 steps 12.3 steps/s 787 images/s ETA 5m03s` (no ETA without
/// a known total).
inline std::string progress_line(std::string_view what, std::int64_t done, std::int64_t total, std::string_view unit,
                                 std::int64_t units_per_step, double steps_per_second) {
  std::string out = detail::progress_counts(what, done, total, unit, units_per_step, steps_per_second);
  if (total > 0) {
    const double left = static_cast<double>(total - done) / steps_per_second;
    out += " ETA " + format_duration(done >= total ? 0.0 : left);
  }
  return out;
}

/// The closing line: `train 5000/5000 steps 12.3 steps/s 787 images/s in 6m45s`.
inline std::string progress_summary(std::string_view what, std::int64_t done, std::int64_t total,
                                    std::string_view unit, std::int64_t units_per_step, double steps_per_second,
                                    double elapsed_seconds) {
  return detail::progress_counts(what, done, total, unit, units_per_step, steps_per_second) + " in " +
         format_duration(elapsed_seconds);
}

/// Reports the progress of a loop. On a terminal it redraws one line in place at most four times
/// a second; elsewhere it writes a plain line at most once per `line_interval_s` (30 s by
/// default). Rates count from the first tick, so a resumed loop reports this session's speed.
///
///     enas::io::Progress progress("train", num_steps, "images", batch_size);
///     for (std::int64_t step = 1; step <= num_steps; ++step) { ...; progress.tick(step); }
///     progress.finish();
class Progress {
 public:
  /// Seconds on a monotonic clock.
  using Clock = std::function<double()>;
  static constexpr double kRedrawSeconds = 0.25;
  static constexpr double kDefaultLineSeconds = 30.0;

  /// Reports on stderr, redrawing when stderr is a terminal.
  /// @param what            what the loop does, first on the line ("train", "epoch 3")
  /// @param total           steps in the loop; 0 or less when unknown (no ETA then)
  /// @param unit            what a step processes: "steps", "images", "words"
  /// @param units_per_step  how many of `unit` one step processes (the batch size)
  Progress(std::string what, std::int64_t total, std::string unit = "steps", std::int64_t units_per_step = 1)
      : Progress(std::move(what), total, std::move(unit), units_per_step, std::cerr, ::isatty(STDERR_FILENO) == 1,
                 steady_seconds) {}

  /// Reports on `out`, as a terminal or not, timed by `clock` (tests inject both).
  Progress(std::string what, std::int64_t total, std::string unit, std::int64_t units_per_step, std::ostream& out,
           bool terminal, Clock clock, double line_interval_s = kDefaultLineSeconds)
      : what_(std::move(what)),
        unit_(std::move(unit)),
        total_(total),
        units_per_step_(units_per_step),
        out_(out),
        terminal_(terminal),
        clock_(std::move(clock)),
        line_interval_(line_interval_s),
        start_(clock_()),
        last_output_(start_) {}

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Ends a line left open on the terminal (e.g. when an exception leaves the loop).
  ~Progress() {
    if (line_open_) out_ << '\n' << std::flush;
  }

  /// Prints nothing from now on (a rank other than 0 of a multi-process run).
  void silence() { silent_ = true; }

  /// Reports that `done_steps` steps of the loop are done.
  void tick(std::int64_t done_steps) {
    if (silent_) return;
    const double now = clock_();
    done_ = done_steps;
    if (!ticked_) {
      ticked_ = true;
      first_time_ = now;
      first_done_ = done_steps;
    }
    const bool last = total_ > 0 && done_steps >= total_;
    if (terminal_) {
      if (!redraw_ && !last && now - last_output_ < kRedrawSeconds) return;
      out_ << '\r' << progress_line(what_, done_, total_, unit_, units_per_step_, rate(now)) << "\x1b[K" << std::flush;
      line_open_ = true;
      redraw_ = false;
    } else {
      if (now - last_output_ < line_interval_) return;
      out_ << progress_line(what_, done_, total_, unit_, units_per_step_, rate(now)) << '\n' << std::flush;
    }
    last_output_ = now;
  }

  /// Erases the terminal line so that another line can be printed; the next tick redraws it.
  void clear() {
    if (!line_open_) return;
    out_ << "\r\x1b[K" << std::flush;
    line_open_ = false;
    redraw_ = true;
  }

  /// Writes the closing line (steps done, rates, time taken) once; nothing when never ticked.
  void finish() {
    if (silent_ || finished_ || !ticked_) return;
    finished_ = true;
    const double now = clock_();
    const std::string summary =
        progress_summary(what_, done_, total_, unit_, units_per_step_, rate(now), now - start_);
    if (terminal_) out_ << '\r';
    out_ << summary;
    if (terminal_) out_ << "\x1b[K";
    out_ << '\n' << std::flush;
    line_open_ = false;
  }

 private:
  /// Steps per second since the first tick; NaN until time has passed.
  double rate(double now) const {
    const double seconds = now - first_time_;
    if (!ticked_ || seconds <= 0.0) return std::numeric_limits<double>::quiet_NaN();
    return static_cast<double>(done_ - first_done_) / seconds;
  }

  static double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  std::string what_;
  std::string unit_;
  std::int64_t total_;
  std::int64_t units_per_step_;
  std::ostream& out_;
  bool terminal_;
  Clock clock_;
  double line_interval_;
  double start_;
  double last_output_;
  double first_time_ = 0.0;
  std::int64_t first_done_ = 0;
  std::int64_t done_ = 0;
  bool ticked_ = false;
  bool line_open_ = false;
  bool redraw_ = true;
  bool finished_ = false;
  bool silent_ = false;
};

}  // namespace enas::io

#endif  // ENAS_IO_PROGRESS_HPP
