/// @file
/// @brief Checkpoint files: LibTorch archives written atomically and durably (temporary file,
/// fsync, rename, fsync of the folder), the last two kept, the newest readable one found again on
/// resume, each read into memory and its zip checked (io/zip_integrity.hpp) before LibTorch parses
/// it; and the helpers that store scalars, strings, random-generator states and module states in an
/// archive.
#ifndef ENAS_IO_CHECKPOINT_HPP
#define ENAS_IO_CHECKPOINT_HPP

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <torch/nn/module.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <new>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/io/zip_integrity.hpp"

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

/// The text of the error number `err` (strerror's).
inline std::string error_text(int err) { return std::generic_category().message(err); }

/// Closes a file descriptor when it goes out of scope.
struct FileDescriptor {
  int fd;
  explicit FileDescriptor(int f) : fd(f) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

/// Flushes `path` (a file, or the folder whose entries changed) to the disk, so that a power loss
/// afterwards finds what was written. A folder that cannot be synced (EINVAL: some file systems)
/// is as durable as its file system makes it.
inline void sync_to_disk(const std::filesystem::path& path, bool folder, const std::string& what) {
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (folder ? O_DIRECTORY : 0)));
  if (file.fd < 0) {
    const int err = errno;
    throw CheckpointError("cannot open " + what + " " + path.string() + " to sync it: " + error_text(err));
  }
  int rc = 0;
  do {
    rc = ::fsync(file.fd);
  } while (rc != 0 && errno == EINTR);
  const int err = errno;
  if (rc != 0 && !(folder && err == EINVAL)) {
    throw CheckpointError("cannot sync " + what + " " + path.string() + " to disk: " + error_text(err));
  }
}

/// Writes `bytes` as the new file `path`; a short write (a full disk) is a CheckpointError naming
/// the file, how much was written, and why.
inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  const FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (file.fd < 0) {
    const int err = errno;
    throw CheckpointError("cannot create checkpoint " + path.string() + ": " + error_text(err));
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::write(file.fd, bytes.data() + done, std::min<std::size_t>(bytes.size() - done, std::size_t{1} << 30));
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) {
      const int err = errno;
      throw CheckpointError("cannot write checkpoint " + path.string() + " (" + std::to_string(done) + " of " +
                            std::to_string(bytes.size()) + " bytes written): " + error_text(err));
    }
    done += static_cast<std::size_t>(put);
  }
}

/// The whole of the checkpoint file `path`, read into memory. A missing file, a folder, or a file
/// that cannot be read is a CheckpointError naming it and why.
inline std::vector<char> read_checkpoint_file(const std::filesystem::path& path) {
  const auto cannot = [&](const std::string& why) {
    return CheckpointError("cannot read checkpoint " + path.string() + ": " + why);
  };
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.fd < 0) throw cannot(error_text(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) throw cannot(error_text(errno));
  if (S_ISDIR(st.st_mode)) throw cannot("it is a folder");
  if (!S_ISREG(st.st_mode)) throw cannot("it is not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > std::numeric_limits<std::size_t>::max() / 2) {
    throw cannot("its " + std::to_string(size) + " bytes are too many to hold in memory");
  }
  std::vector<char> bytes;
  try {
    bytes.resize(static_cast<std::size_t>(size));
  } catch (const std::bad_alloc&) {
    throw cannot("no memory for its " + std::to_string(size) + " bytes");
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const std::size_t chunk = std::min<std::size_t>(bytes.size() - done, std::size_t{1} << 30);
    const ssize_t got = ::read(file.fd, bytes.data() + done, chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw cannot(error_text(errno));
    if (got == 0) {
      throw cannot("it became shorter while being read (" + std::to_string(done) + " of " + std::to_string(size) +
                   " bytes)");
    }
    done += static_cast<std::size_t>(got);
  }
  return bytes;
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
/// file and a rename so that a crash mid-write leaves the previous checkpoint intact, and synced to
/// the disk before and after the rename so that a power loss cannot leave an empty checkpoint.
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
    // Serialized in memory first: LibTorch 1.13's archive writer aborts the process (an exception
    // from its destructor) when a write under it fails, as on a full disk; here a full disk is an
    // error to report. For the same reason the writer is never told of a failure: memory that
    // runs out is remembered and reported once LibTorch is done.
    std::string bytes;
    bool out_of_memory = false;
    try {
      archive.save_to([&](const void* data, std::size_t n) {
        if (out_of_memory) return n;
        try {
          bytes.append(static_cast<const char*>(data), n);
        } catch (const std::bad_alloc&) {
          out_of_memory = true;
          bytes = std::string();
        }
        return n;
      });
    } catch (const std::exception& e) {
      throw CheckpointError("cannot serialize checkpoint " + target.string() + ": " + detail::first_line(e.what()));
    }
    if (out_of_memory) throw std::bad_alloc();  // the caller says which memory ran out
    try {
      detail::write_file(temp, bytes);
      detail::sync_to_disk(temp, false, "checkpoint");  // its bytes on the disk before the rename...
    } catch (const CheckpointError&) {
      std::filesystem::remove(temp, ec);
      throw;
    }
    std::filesystem::rename(temp, target, ec);
    if (ec) throw CheckpointError("cannot rename " + temp.string() + " to " + target.string() + ": " + ec.message());
    detail::sync_to_disk(dir_, true, "checkpoint folder");  // ...and the rename on the disk before the old ones go
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

/// Opens a checkpoint for reading: the whole file is read into memory, its zip archive checked
/// (verify_zip: every entry inside the file, stored or deflated, with its length and CRC-32), and
/// only then parsed by LibTorch, from those same bytes. A missing, truncated, damaged or otherwise unreadable file is
/// a CheckpointError naming it (and the damaged entry); nothing is read into the run before the
/// whole file has been opened.
///
/// A file whose checksums are intact is trusted as one that a LibTorch program wrote: as PyTorch
/// says of its own files, a checkpoint from an untrusted source must not be loaded.
inline InputArchive open_checkpoint(const std::filesystem::path& path) {
  const auto bytes = detail::read_checkpoint_file(path);
  verify_zip("checkpoint " + path.string(), bytes.data(), bytes.size());
  InputArchive archive;
  try {
    archive.load_from(bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    throw CheckpointError("checkpoint " + path.string() + " is unreadable (written by another program?): " +
                          detail::first_line(e.what()));
  }
  return archive;
}

}  // namespace enas::io

#endif  // ENAS_IO_CHECKPOINT_HPP
