/// @file
/// @brief Checkpoint files: LibTorch archives written atomically (temporary file, then rename),
/// the last two kept, the newest readable one found again on resume; and the helpers that store
/// scalars, strings, random-generator states and module states in an archive.
#ifndef ENAS_IO_CHECKPOINT_HPP
#define ENAS_IO_CHECKPOINT_HPP

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "enas/core/error.hpp"

namespace enas::io {

using torch::serialize::InputArchive;
using torch::serialize::OutputArchive;

/// @name Values in archives
/// @{
inline void write_int(OutputArchive& a, const std::string& key, std::int64_t v) { a.write(key, c10::IValue(v)); }
inline void write_double(OutputArchive& a, const std::string& key, double v) { a.write(key, c10::IValue(v)); }
inline void write_string(OutputArchive& a, const std::string& key, const std::string& v) { a.write(key, c10::IValue(v)); }
inline void write_tensor(OutputArchive& a, const std::string& key, const at::Tensor& t) { a.write(key, t.detach().cpu()); }

namespace detail {
/// The first line of a LibTorch message (the rest is its C++ backtrace).
inline std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// Runs LibTorch's reading of entry `key`: on a damaged archive, or an entry of another type, it
/// throws c10::Error, which becomes a CheckpointError naming the entry.
template <class Read>
auto read_entry(const std::string& key, Read&& read) {
  try {
    return read();
  } catch (const c10::Error& e) {
    throw CheckpointError("checkpoint entry '" + key + "' is unreadable (corrupt, or written by another program): " +
                          first_line(e.what()));
  }
}

inline c10::IValue read_value_of(InputArchive& a, const std::string& key, const char* expected) {
  c10::IValue v;
  if (!read_entry(key, [&] { return a.try_read(key, v); })) {
    throw CheckpointError("checkpoint lacks the entry '" + key + "' (" + expected + ")");
  }
  return v;
}

inline CheckpointError wrong_type(const std::string& key, const c10::IValue& v, const char* expected) {
  return CheckpointError("checkpoint entry '" + key + "' holds a value of type " + v.tagKind() + ", expected " +
                         expected);
}
}  // namespace detail

inline c10::IValue read_value(InputArchive& a, const std::string& key) {
  return detail::read_value_of(a, key, "a value");
}
inline std::int64_t read_int(InputArchive& a, const std::string& key) {
  const auto v = detail::read_value_of(a, key, "an integer");
  if (!v.isInt()) throw detail::wrong_type(key, v, "an integer");
  return v.toInt();
}
inline double read_double(InputArchive& a, const std::string& key) {
  const auto v = detail::read_value_of(a, key, "a number");
  if (!v.isDouble()) throw detail::wrong_type(key, v, "a number");
  return v.toDouble();
}
inline std::string read_string(InputArchive& a, const std::string& key) {
  const auto v = detail::read_value_of(a, key, "a string");
  if (!v.isString()) throw detail::wrong_type(key, v, "a string");
  return v.toStringRef();
}
inline at::Tensor read_tensor(InputArchive& a, const std::string& key) {
  at::Tensor t;
  if (!detail::read_entry(key, [&] { return a.try_read(key, t); })) {
    throw CheckpointError("checkpoint lacks the tensor '" + key + "'");
  }
  return t;
}
/// Reads the archive `key` into `sub`; false when there is none.
inline bool try_read_archive(InputArchive& a, const std::string& key, InputArchive& sub) {
  return detail::read_entry(key, [&] { return a.try_read(key, sub); });
}
inline bool has_key(InputArchive& a, const std::string& key) {
  const auto keys = detail::read_entry(key, [&] { return a.keys(); });
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}
/// @}

/// A LibTorch generator's state (CPU or CUDA), restorable bit for bit.
inline void write_generator(OutputArchive& a, const std::string& key, const at::Generator& g) {
  a.write(key, g.get_state());
}
inline void read_generator(InputArchive& a, const std::string& key, at::Generator& g) {
  auto state = read_tensor(a, key);
  std::lock_guard<std::mutex> lock(g.mutex());
  detail::read_entry(key, [&] {  // a state of the wrong size or type
    g.set_state(state);
    return true;
  });
}

/// LibTorch's default generators: the CPU one always, the device's when it is not the CPU.
inline void write_generators(OutputArchive& a, const at::Device& device) {
  write_generator(a, "generator_cpu", at::globalContext().defaultGenerator(at::kCPU));
  if (!device.is_cpu()) write_generator(a, "generator_device", at::globalContext().defaultGenerator(device));
}
inline void read_generators(InputArchive& a, const at::Device& device) {
  at::Generator cpu = at::globalContext().defaultGenerator(at::kCPU);
  read_generator(a, "generator_cpu", cpu);
  if (!device.is_cpu() && has_key(a, "generator_device")) {
    at::Generator dev = at::globalContext().defaultGenerator(device);
    read_generator(a, "generator_device", dev);
  }
}

/// A standard engine's state, in its textual form (portable across standard libraries).
template <class Engine>
void write_engine(OutputArchive& a, const std::string& key, const Engine& e) {
  std::ostringstream out;
  out << e;
  write_string(a, key, out.str());
}
template <class Engine>
void read_engine(InputArchive& a, const std::string& key, Engine& e) {
  std::istringstream in(read_string(a, key));
  in >> e;
  if (!in) throw CheckpointError("checkpoint entry '" + key + "' is not a random-engine state");
}

/// A module's parameters and buffers under `key`; loading checks every name and shape.
inline void write_module(OutputArchive& a, const std::string& key, const torch::nn::Module& m) {
  OutputArchive sub;
  for (const auto& p : m.named_parameters()) sub.write(p.key(), p.value().detach().cpu());
  for (const auto& b : m.named_buffers()) sub.write(b.key(), b.value().detach().cpu(), /*is_buffer=*/true);
  a.write(key, sub);
}
inline void read_module(InputArchive& a, const std::string& key, torch::nn::Module& m) {
  InputArchive sub;
  if (!try_read_archive(a, key, sub)) throw CheckpointError("checkpoint lacks the module '" + key + "'");
  at::NoGradGuard no_grad;
  auto load = [&](const std::string& name, at::Tensor& target, bool buffer) {
    at::Tensor t;
    if (!detail::read_entry(key + "/" + name, [&] { return sub.try_read(name, t, buffer); })) {
      throw CheckpointError("checkpoint module '" + key + "' lacks '" + name + "' (made with another model?)");
    }
    if (t.sizes() != target.sizes()) {
      throw CheckpointError("checkpoint module '" + key + "': '" + name + "' has shape " + c10::str(t.sizes()) +
                            ", the model expects " + c10::str(target.sizes()));
    }
    if (!t.is_floating_point() && target.is_floating_point()) {
      throw CheckpointError("checkpoint module '" + key + "': '" + name + "' holds " + std::string(t.dtype().name()) +
                            " values, the model expects " + std::string(target.dtype().name()));
    }
    target.copy_(t);
  };
  for (auto& p : m.named_parameters()) load(p.key(), p.value(), false);
  for (auto& b : m.named_buffers()) load(b.key(), b.value(), true);
}

/// The checkpoint files of an output folder: `checkpoint-<step>.pt`, written through a temporary
/// file and a rename so that a crash mid-write leaves the previous checkpoint intact.
class CheckpointFiles {
 public:
  explicit CheckpointFiles(std::filesystem::path dir, int keep = 2) : dir_(std::move(dir)), keep_(keep) {}

  /// Checkpoints present, newest (highest step) first.
  std::vector<std::filesystem::path> list() const {
    std::vector<std::pair<std::int64_t, std::filesystem::path>> found;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir_, ec)) return {};
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
      const auto name = entry.path().filename().string();
      if (name.rfind("checkpoint-", 0) != 0 || entry.path().extension() != ".pt") continue;
      try {
        found.emplace_back(std::stoll(name.substr(11, name.size() - 14)), entry.path());
      } catch (const std::exception&) {
        continue;  // not one of ours
      }
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::filesystem::path> paths;
    for (auto& f : found) paths.push_back(std::move(f.second));
    return paths;
  }

  /// Writes `archive` as the checkpoint of `step` and removes all but the newest `keep`.
  std::filesystem::path save(OutputArchive& archive, std::int64_t step) const {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    const auto target = path_of(step);
    const auto temp = dir_ / (".checkpoint-" + std::to_string(step) + ".pt.tmp");
    try {
      archive.save_to(temp.string());
    } catch (const std::exception& e) {
      std::filesystem::remove(temp, ec);
      throw CheckpointError("cannot write checkpoint " + temp.string() + ": " + e.what());
    }
    std::filesystem::rename(temp, target, ec);
    if (ec) throw CheckpointError("cannot rename " + temp.string() + " to " + target.string() + ": " + ec.message());
    const auto all = list();
    for (std::size_t i = static_cast<std::size_t>(keep_); i < all.size(); ++i) std::filesystem::remove(all[i], ec);
    return target;
  }

  const std::filesystem::path& dir() const { return dir_; }
  /// Where the checkpoint of `step` is (or would be) written.
  std::filesystem::path path_of(std::int64_t step) const { return dir_ / ("checkpoint-" + std::to_string(step) + ".pt"); }

 private:
  std::filesystem::path dir_;
  int keep_;
};

/// Opens a checkpoint for reading. A missing, truncated or otherwise unreadable file is a
/// CheckpointError naming it; nothing is read into the run before the whole file has been opened.
inline InputArchive open_checkpoint(const std::filesystem::path& path) {
  InputArchive archive;
  try {
    archive.load_from(path.string());
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (const auto nl = why.find('\n'); nl != std::string::npos) why = why.substr(0, nl);
    throw CheckpointError("checkpoint " + path.string() + " is unreadable (truncated or corrupt): " + why);
  }
  return archive;
}

}  // namespace enas::io

#endif  // ENAS_IO_CHECKPOINT_HPP
