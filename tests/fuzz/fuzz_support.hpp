// What every fuzz target shares: the input as a file (the readers under test take paths, as the
// programs do) and the one rule being checked: bad input ends in an enas::Error with a message,
// never in a crash, a hang, an unbounded allocation or another exception (which libFuzzer
// reports as a crash: "deadly signal" from std::terminate).
#ifndef ENAS_FUZZ_SUPPORT_HPP
#define ENAS_FUZZ_SUPPORT_HPP

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "enas/core/error.hpp"

namespace enas::fuzz {

/// A folder of this process's own under the temporary directory, made once.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("enas_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

/// Writes `size` bytes to `path`, replacing it.
inline void write_bytes(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.string().c_str());
    std::abort();
  }
}

/// Runs `body`; an enas::Error (the refusal with a message) is the expected end of bad input, and
/// its message must say something. Anything else propagates to libFuzzer.
template <class Body>
void refused_or_read(Body&& body) {
  try {
    body();
  } catch (const enas::Error& e) {
    if (std::string(e.what()).empty()) {
      std::fprintf(stderr, "fuzz: an enas::Error without a message\n");
      std::abort();
    }
  }
}

/// Stops the run when `ok` is false, naming what was violated (libFuzzer saves the input).
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: violated: %s\n", what);
    std::abort();
  }
}

}  // namespace enas::fuzz

#endif  // ENAS_FUZZ_SUPPORT_HPP
