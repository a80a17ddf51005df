/// @file
/// @brief Where this process sits in a multi-process run, read from the environment the usual
/// launchers set: torchrun (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
/// MASTER_PORT), Open MPI's mpirun (OMPI_COMM_WORLD_*) and Slurm's srun (SLURM_PROCID,
/// SLURM_STEP_NUM_TASKS, ...). Without any of them the run is one process, as before.
///
/// Torch-free: the process group built from it lives elsewhere. Every malformed value is refused
/// with the variable's name, its value and what was expected (enas::ConfigError).
#ifndef ENAS_DIST_LAUNCH_HPP
#define ENAS_DIST_LAUNCH_HPP

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <system_error>

#include "enas/core/error.hpp"

namespace enas::dist {

/// This process's place in the run and where the ranks meet (rank 0 serves the rendezvous store).
struct LaunchInfo {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;        ///< rank among the processes on this machine
  int local_world_size = 1;  ///< processes on this machine
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;   ///< torchrun's default
  std::string launcher = "single process";  ///< "torchrun", "Open MPI", "Slurm" or "single process"

  bool distributed() const { return world_size > 1; }

  /// Intra-op threads for this rank by default: the machine's hardware threads shared among its
  /// ranks, at least one.
  int default_threads(int hardware_threads) const { return std::max(1, hardware_threads / std::max(1, local_world_size)); }
};

/// Looks a variable up; empty when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment (std::getenv).
inline std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

namespace detail {

inline std::string env_quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "'";
}

[[noreturn]] inline void refuse(const std::string& name, const std::string& value, const std::string& expected) {
  throw ConfigError("environment variable " + name + " = " + env_quote(value) + ": expected " + expected);
}

/// A decimal integer in [lo, hi], nothing else (no sign for non-negative ranges, no spaces).
inline int env_int(const EnvLookup& env, const std::string& name, int lo, int hi, const std::string& what) {
  const auto v = env(name);
  if (!v) throw ConfigError("environment variable " + name + " is not set: expected " + what);
  std::int64_t n = 0;
  const char* first = v->data();
  const char* last = v->data() + v->size();
  const auto [end, ec] = std::from_chars(first, last, n);
  const std::string range = what + " (an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ")";
  if (v->empty() || ec != std::errc() || end != last) refuse(name, *v, range);
  if (n < lo || n > hi) refuse(name, *v, range);
  return static_cast<int>(n);
}

/// The first task count of a Slurm tasks-per-node list such as "4(x2),3" or "2".
inline int slurm_first_count(const std::string& name, const std::string& value) {
  std::size_t digits = 0;
  while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9') ++digits;
  const bool tail_ok = digits == value.size() || value[digits] == '(' || value[digits] == ',';
  int n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + digits, n);
  if (digits == 0 || !tail_ok || ec != std::errc() || end != value.data() + digits || n < 1) {
    refuse(name, value, "Slurm's tasks-per-node list, such as 4 or 4(x2),3");
  }
  return n;
}

inline constexpr int kMaxRanks = 1 << 20;

}  // namespace detail

/// Reads the launch from `env`: torchrun's variables first (RANK set), then Open MPI's
/// (OMPI_COMM_WORLD_RANK), then a Slurm job step's (SLURM_PROCID with SLURM_STEP_NUM_TASKS, which
/// only srun sets: a batch script that runs a program directly stays one process). MASTER_ADDR
/// and MASTER_PORT, when set, name the rendezvous for every launcher; they are required when the
/// ranks span machines, and default to 127.0.0.1:29500 when all ranks share this one.
inline LaunchInfo read_launch(const EnvLookup& env = process_env) {
  using detail::env_int;
  LaunchInfo info;
  bool spans_machines = false;
  if (env("RANK")) {
    info.launcher = "torchrun";
    info.world_size = env_int(env, "WORLD_SIZE", 1, detail::kMaxRanks, "the number of processes, set with RANK");
    info.rank = env_int(env, "RANK", 0, info.world_size - 1, "this process's rank, below WORLD_SIZE");
    info.local_world_size = env("LOCAL_WORLD_SIZE")
                                ? env_int(env, "LOCAL_WORLD_SIZE", 1, info.world_size, "the processes on this machine, at most WORLD_SIZE")
                                : info.world_size;
    info.local_rank = env("LOCAL_RANK")
                          ? env_int(env, "LOCAL_RANK", 0, info.local_world_size - 1, "this process's rank on its machine, below LOCAL_WORLD_SIZE")
                          : info.rank % info.local_world_size;
    spans_machines = info.local_world_size < info.world_size;
  } else if (env("OMPI_COMM_WORLD_RANK")) {
    info.launcher = "Open MPI";
    info.world_size = env_int(env, "OMPI_COMM_WORLD_SIZE", 1, detail::kMaxRanks, "the number of processes, set with OMPI_COMM_WORLD_RANK");
    info.rank = env_int(env, "OMPI_COMM_WORLD_RANK", 0, info.world_size - 1, "this process's rank, below OMPI_COMM_WORLD_SIZE");
    info.local_world_size = env_int(env, "OMPI_COMM_WORLD_LOCAL_SIZE", 1, info.world_size,
                                    "the processes on this machine, at most OMPI_COMM_WORLD_SIZE");
    info.local_rank = env_int(env, "OMPI_COMM_WORLD_LOCAL_RANK", 0, info.local_world_size - 1,
                              "this process's rank on its machine, below OMPI_COMM_WORLD_LOCAL_SIZE");
    spans_machines = info.local_world_size < info.world_size;
  } else if (env("SLURM_PROCID") && env("SLURM_STEP_NUM_TASKS")) {
    info.launcher = "Slurm";
    info.world_size = env_int(env, "SLURM_STEP_NUM_TASKS", 1, detail::kMaxRanks, "the tasks of this job step");
    info.rank = env_int(env, "SLURM_PROCID", 0, info.world_size - 1, "this task's rank, below SLURM_STEP_NUM_TASKS");
    const auto per_node = env("SLURM_STEP_TASKS_PER_NODE");
    info.local_world_size = per_node ? detail::slurm_first_count("SLURM_STEP_TASKS_PER_NODE", *per_node) : info.world_size;
    if (info.local_world_size > info.world_size) {
      detail::refuse("SLURM_STEP_TASKS_PER_NODE", *per_node, "at most SLURM_STEP_NUM_TASKS tasks on a node");
    }
    info.local_rank = env("SLURM_LOCALID")
                          ? env_int(env, "SLURM_LOCALID", 0, info.local_world_size - 1, "this task's rank on its node")
                          : info.rank % info.local_world_size;
    spans_machines = env("SLURM_STEP_NUM_NODES")
                         ? env_int(env, "SLURM_STEP_NUM_NODES", 1, info.world_size, "the nodes of this job step") > 1
                         : info.local_world_size < info.world_size;
  } else {
    return info;
  }
  if (const auto addr = env("MASTER_ADDR")) {
    if (addr->empty() || addr->find_first_of(" \t\r\n") != std::string::npos || addr->find('\0') != std::string::npos) {
      detail::refuse("MASTER_ADDR", *addr, "the host name or address of rank 0's machine");
    }
    info.master_addr = *addr;
  } else if (spans_machines && info.distributed()) {
    throw ConfigError("environment variable MASTER_ADDR is not set: the " + std::to_string(info.world_size) +
                      " ranks of this " + info.launcher +
                      " launch span machines, so rank 0's host must be named (docs/distributed.md)");
  }
  if (env("MASTER_PORT")) info.master_port = env_int(env, "MASTER_PORT", 1, 65535, "rank 0's rendezvous port");
  return info;
}

}  // namespace enas::dist

#endif  // ENAS_DIST_LAUNCH_HPP
