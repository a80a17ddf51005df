/// @file
/// @brief The exceptions enas throws. Each message names the thing that is wrong and what was
/// expected, so that a user can fix the input without reading the source.
#ifndef ENAS_CORE_ERROR_HPP
#define ENAS_CORE_ERROR_HPP

#include <stdexcept>
#include <string>
#include <string_view>

namespace enas {

/// `text` as a message may quote it: bytes outside printable ASCII (control bytes, NUL, invalid
/// or any non-ASCII UTF-8) written as \xNN, so that input quoted in an error cannot garble a
/// terminal or a log.
inline std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto b = static_cast<unsigned char>(ch);
    if (b >= 0x20 && b < 0x7f) {
      out += ch;
    } else {
      out += "\\x";
      out += hex[b >> 4];
      out += hex[b & 15];
    }
  }
  return out;
}

/// Base class of every enas error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An architecture string or token sequence that does not belong to its search space.
class ArcError : public Error {
 public:
  using Error::Error;
};

/// A data file that is missing, truncated or malformed.
class DataError : public Error {
 public:
  using Error::Error;
};

/// An option value (flag, configuration field) that is out of range or inconsistent.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Training produced a non-finite loss or gradient.
class DivergenceError : public Error {
 public:
  using Error::Error;
};

/// A checkpoint that is unreadable or belongs to another configuration.
class CheckpointError : public Error {
 public:
  using Error::Error;
};

/// A collective across processes failed: a peer process exited or hung past the timeout, or the
/// ranks could not meet. The message names the operation and, where it can tell, the rank.
class DistError : public Error {
 public:
  using Error::Error;
};

}  // namespace enas

#endif  // ENAS_CORE_ERROR_HPP
