/// @file
/// @brief A stop request from SIGINT or SIGTERM that training loops honour at their next safe point
/// (after a step), so that a checkpoint can be written before the program exits.
#ifndef ENAS_UTIL_STOP_HPP
#define ENAS_UTIL_STOP_HPP

#include <atomic>
#include <csignal>

namespace enas {

namespace detail {
inline std::atomic<bool>& stop_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}
extern "C" inline void enas_on_stop_signal(int signal) {
  stop_flag().store(true);
  std::signal(signal, SIG_DFL);  // a second signal ends the program at once
}
}  // namespace detail

/// Makes SIGINT and SIGTERM request a stop instead of killing the process.
inline void install_stop_handlers() {
  std::signal(SIGINT, detail::enas_on_stop_signal);
  std::signal(SIGTERM, detail::enas_on_stop_signal);
}

/// True once a stop has been requested (by a signal or request_stop()).
inline bool stop_requested() { return detail::stop_flag().load(); }

/// Requests a stop from code (tests, embedding applications).
inline void request_stop(bool stop = true) { detail::stop_flag().store(stop); }

}  // namespace enas

#endif  // ENAS_UTIL_STOP_HPP
