/// @file
/// @brief Architecture strings: whitespace-separated integer tokens, exactly as the reference
/// scripts pass them (`--child_fixed_arc`). Parsing, range checks with precise messages, formatting.
#ifndef ENAS_CORE_ARC_HPP
#define ENAS_CORE_ARC_HPP

#include <cctype>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "enas/core/controller_program.hpp"
#include "enas/core/error.hpp"

namespace enas {

/// Splits an architecture string on whitespace into integers. Throws ArcError naming the first
/// token that is not an integer.
inline std::vector<int> tokenize_arc(std::string_view text) {
  std::vector<int> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i == text.size()) break;
    std::size_t end = i;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    const std::string_view word = text.substr(i, end - i);
    int value = 0;
    const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (ec != std::errc() || ptr != word.data() + word.size()) {
      throw ArcError("architecture token a[" + std::to_string(tokens.size()) + "] = '" + printable(word) +
                     "' is not an integer");
    }
    tokens.push_back(value);
    i = end;
  }
  return tokens;
}

/// Joins tokens with single spaces: the reference's string format.
inline std::string join_tokens(const std::vector<int>& tokens) {
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out += ' ';
    out += std::to_string(tokens[i]);
  }
  return out;
}

/// Checks that `tokens` has Space::num_tokens entries, each within the range the space's
/// controller program allows at its position. The message names the position, the value, what
/// the token means (Space::describe_token) and the allowed range.
template <class Space>
void check_tokens(const std::vector<int>& tokens) {
  constexpr auto bounds = token_bounds<Space::num_tokens>(Space::program);
  if (tokens.size() != static_cast<std::size_t>(Space::num_tokens)) {
    throw ArcError(std::string(Space::name) + " architecture has " + std::to_string(tokens.size()) +
                   " tokens, expected " + std::to_string(Space::num_tokens) + " (" +
                   Space::token_count_rule() + ")");
  }
  for (std::size_t p = 0; p < tokens.size(); ++p) {
    const int t = tokens[p];
    if (t < 0 || t >= bounds[p]) {
      throw ArcError(std::string(Space::name) + " architecture token a[" + std::to_string(p) +
                     "] = " + std::to_string(t) + " (" + Space::describe_token(static_cast<int>(p)) +
                     ") is out of range: allowed 0.." + std::to_string(bounds[p] - 1));
    }
  }
}

/// Parses an architecture string of `Space` into its decoded Arch.
template <class Space>
typename Space::Arch parse_arch(std::string_view text) {
  return Space::decode(tokenize_arc(text));
}

/// Formats a decoded Arch as the reference's string.
template <class Space>
std::string format_arch(const typename Space::Arch& arch) {
  return join_tokens(Space::encode(arch));
}

}  // namespace enas

#endif  // ENAS_CORE_ARC_HPP
