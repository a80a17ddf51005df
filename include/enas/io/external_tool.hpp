/// @file
/// @brief Optional external programs (Graphviz `dot`, gnuplot): finding one on PATH, running it
/// without a shell, and the result of writing files with one.
#ifndef ENAS_IO_EXTERNAL_TOOL_HPP
#define ENAS_IO_EXTERNAL_TOOL_HPP

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enas/core/error.hpp"

namespace enas::io {

/// Files written by a renderer, in the order written. `message` is empty when every output was
/// produced; otherwise it says what is missing and how to get it (e.g. the tool is not installed).
struct WrittenFiles {
  std::vector<std::filesystem::path> files;
  std::string message;
};

/// The executable `name` in a folder of $PATH, or nullopt. A name with a '/' is taken as a path.
inline std::optional<std::filesystem::path> find_program(const std::string& name) {
  namespace fs = std::filesystem;
  const auto executable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    return executable(name) ? std::optional<fs::path>(name) : std::nullopt;
  }
  const char* path_env = std::getenv("PATH");
  const std::string_view dirs = path_env != nullptr ? path_env : "";
  std::size_t begin = 0;
  while (begin <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', begin), dirs.size());
    const std::string_view dir = dirs.substr(begin, end - begin);
    const fs::path candidate = (dir.empty() ? fs::path(".") : fs::path(std::string(dir))) / name;
    if (executable(candidate)) return candidate;
    begin = end + 1;
  }
  return std::nullopt;
}

/// How a program run ended: its exit status (128 + signal when killed) and what it wrote on stderr.
struct ProgramRun {
  int exit_status = 0;
  std::string errors;
};

/// Runs `program` with `args` (no shell, so paths need no quoting), stdin and stdout on
/// /dev/null, stderr captured. Throws ConfigError when the program cannot be started.
inline ProgramRun run_program(const std::filesystem::path& program, const std::vector<std::string>& args) {
  const auto fail = [&](const char* what, int err) {
    return ConfigError("cannot run " + program.string() + ": " + what + ": " + std::strerror(err));
  };
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw fail("pipe", errno);

  std::vector<std::string> argv_storage{program.string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  pid_t pid = 0;
  const int spawn_error = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawn_error != 0) {
    ::close(pipe_fds[0]);
    throw fail("posix_spawn", spawn_error);
  }

  ProgramRun run;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) {
      run.errors.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw fail("waitpid", errno);
  }
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

namespace detail {

/// "<tool> exited with status N: <its stderr>", shortened to a readable length.
inline std::string describe_failure(const std::string& command, const ProgramRun& run) {
  constexpr std::size_t kMaxErrorChars = 2000;
  std::string errors = run.errors.substr(0, kMaxErrorChars);
  while (!errors.empty() && (errors.back() == '\n' || errors.back() == ' ')) errors.pop_back();
  return command + " exited with status " + std::to_string(run.exit_status) +
         (errors.empty() ? std::string() : ": " + errors);
}

}  // namespace detail

}  // namespace enas::io

#endif  // ENAS_IO_EXTERNAL_TOOL_HPP
