/// @file
/// @brief CIFAR-10 (the binary version): reading the files, the splits and their channel
/// statistics, on the host (enas-reference.md §7). Batches on the device: data/cifar10_batches.hpp.
#ifndef ENAS_DATA_CIFAR10_HPP
#define ENAS_DATA_CIFAR10_HPP

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/data/locate.hpp"
#include "enas/io/xtensor.hpp"

namespace enas::data {

inline constexpr std::int64_t kCifarChannels = 3;  ///< red, green, blue
inline constexpr std::int64_t kCifarSide = 32;     ///< images are kCifarSide × kCifarSide
inline constexpr std::int64_t kCifarClasses = 10;  ///< labels are 0 to kCifarClasses − 1
/// One record of a binary batch: 1 label byte, then 1024 red, 1024 green and 1024 blue bytes.
inline constexpr std::size_t kCifarRecordBytes = 1 + kCifarChannels * kCifarSide * kCifarSide;
/// The search holds out the last this many training images as validation (§7).
inline constexpr std::int64_t kCifarValidationSize = 5000;
/// The test batch; optional (without it the test set is held out of the training images).
inline constexpr char kCifar10TestFile[] = "test_batch.bin";

/// Images and labels of one file or split, on the host.
struct Cifar10Images {
  xt::xtensor<std::uint8_t, 4> images;  ///< [N, 3, 32, 32] (NCHW), bytes 0-255
  xt::xtensor<std::int64_t, 1> labels;  ///< [N], classes 0-9

  /// Number of images.
  std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
};

/// Per-channel mean and standard deviation (population) of pixels scaled to [0, 1].
struct ChannelStats {
  std::array<double, kCifarChannels> mean{};  ///< per channel, in [0, 1]
  std::array<double, kCifarChannels> std{};   ///< per channel, population standard deviation
};

/// Whether load_cifar10 holds a validation split out of the training images.
enum class Cifar10Split {
  kHoldOutValidation,  ///< search: train on the first 45,000, validate on the last 5,000
  kTrainOnAll,         ///< final training: train on all 50,000
};

/// The splits of CIFAR-10 as load_cifar10 makes them, on the host.
struct Cifar10Data {
  Cifar10Images train;     ///< the first 45,000 training images, or all 50,000 (see load_cifar10)
  Cifar10Images valid;     ///< the last 5,000 training images; empty with Cifar10Split::kTrainOnAll
  Cifar10Images test;      ///< test_batch.bin, or the held-out last 5,000 training images
  ChannelStats stats;      ///< of `train`; every split is normalised with these (§7)
  bool test_is_held_out = false;  ///< test_batch.bin was absent: `test` comes from the training files
  std::string note;        ///< when test_is_held_out: a sentence for the programs to print, else empty
};

/// The training files of the binary version, in the order their records are concatenated.
inline const std::vector<std::string>& cifar10_train_files() {
  static const std::vector<std::string> files{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                              "data_batch_4.bin", "data_batch_5.bin"};
  return files;
}

namespace detail {

/// Number of records in a binary batch file, from its size; a missing file, an empty one or one
/// that ends inside a record is a DataError.
inline std::size_t cifar10_record_count(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw DataError("CIFAR-10 file " + path.string() +
                    (std::filesystem::is_directory(path, ec) ? " is a directory" : " does not exist") + ": expected a binary batch of " +
                    std::to_string(kCifarRecordBytes) + "-byte records (1 label byte, then 3072 pixel bytes)");
  }
  const auto bytes = std::filesystem::file_size(path, ec);
  if (ec) throw DataError("cannot read the size of CIFAR-10 file " + path.string() + ": " + ec.message());
  if (bytes == 0 || bytes % kCifarRecordBytes != 0) {
    throw DataError("CIFAR-10 file " + path.string() + " has " + std::to_string(bytes) +
                    " bytes: expected a positive multiple of " + std::to_string(kCifarRecordBytes) +
                    " (one record = 1 label byte + 3072 pixel bytes); " +
                    (bytes == 0 ? std::string("the file is empty")
                                : "the last record is cut off after " + std::to_string(bytes % kCifarRecordBytes) +
                                      " bytes"));
  }
  return static_cast<std::size_t>(bytes / kCifarRecordBytes);
}

/// Reads the `records` records of `path` into `out` with one read, and checks every label.
inline void read_cifar10_records(const std::filesystem::path& path, std::size_t records, std::uint8_t* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot open CIFAR-10 file " + path.string());
  const auto bytes = static_cast<std::streamsize>(records * kCifarRecordBytes);
  in.read(reinterpret_cast<char*>(out), bytes);
  if (in.gcount() != bytes) {
    throw DataError("CIFAR-10 file " + path.string() + ": read " + std::to_string(in.gcount()) + " of " +
                    std::to_string(bytes) + " bytes");
  }
  for (std::size_t r = 0; r < records; ++r) {
    const int label = out[r * kCifarRecordBytes];
    if (label >= kCifarClasses) {
      throw DataError("CIFAR-10 file " + path.string() + ": record " + std::to_string(r) + " has label " +
                      std::to_string(label) + "; expected a class 0-9 (is this the binary CIFAR-10, not CIFAR-100?)");
    }
  }
}

/// Records [begin, begin + count) of `raw` ([records, 3073]) as images and labels.
inline Cifar10Images decode_cifar10_records(const xt::xtensor<std::uint8_t, 2>& raw, std::size_t begin,
                                            std::size_t count) {
  constexpr auto side = static_cast<std::size_t>(kCifarSide);
  constexpr auto pixels = static_cast<std::int64_t>(kCifarRecordBytes) - 1;
  Cifar10Images out;
  out.images = xt::empty<std::uint8_t>({count, static_cast<std::size_t>(kCifarChannels), side, side});
  out.labels = xt::empty<std::int64_t>({count});
  const auto n = static_cast<std::int64_t>(count);
  const auto records = at::from_blob(const_cast<std::uint8_t*>(raw.data()) + begin * kCifarRecordBytes,
                                     {n, static_cast<std::int64_t>(kCifarRecordBytes)}, at::kByte);
  // A record's pixel bytes are already in [3, 32, 32] order; only the label byte is dropped. ATen's
  // strided copy does that for all records at once, 3-6x faster here than assigning the same
  // xtensor view.
  at::from_blob(out.images.data(), {n, pixels}, at::kByte).copy_(records.narrow(1, 1, pixels));
  at::from_blob(out.labels.data(), {n}, at::kLong).copy_(records.select(1, 0));
  return out;
}

/// Downloads the binary archive into `data_dir` and unpacks it there (it holds
/// cifar-10-batches-bin/). False when a step fails; the archive is removed either way.
inline bool download_cifar10(const std::filesystem::path& data_dir) {
  const std::string archive = "cifar-10-binary.tar.gz";
  if (!download_files("https://www.cs.toronto.edu/~kriz/", {archive}, data_dir)) return false;
  const auto tarball = data_dir / archive;
  const std::string cmd = "tar xzf '" + tarball.string() + "' -C '" + data_dir.string() + "'";
  const bool unpacked = std::system(cmd.c_str()) == 0;
  std::error_code ec;
  std::filesystem::remove(tarball, ec);
  if (!unpacked) return false;
  for (const auto& f : cifar10_train_files()) {
    if (!std::filesystem::is_regular_file(data_dir / "cifar-10-batches-bin" / f)) return false;
  }
  return true;
}

}  // namespace detail

/// Reads one binary batch file (data_batch_k.bin, test_batch.bin, or any file of whole
/// 3,073-byte records). A missing file, an empty one, a size that is not a multiple of 3,073 or a
/// label above 9 is a DataError naming the file.
inline Cifar10Images load_cifar10_file(const std::filesystem::path& path) {
  const auto records = detail::cifar10_record_count(path);
  xt::xtensor<std::uint8_t, 2> raw = xt::empty<std::uint8_t>({records, kCifarRecordBytes});
  detail::read_cifar10_records(path, records, raw.data());
  return detail::decode_cifar10_records(raw, 0, records);
}

/// Mean and standard deviation per channel of `images` ([N, 3, H, W]) scaled to [0, 1], exact
/// (from a histogram of the byte values).
inline ChannelStats channel_stats(const xt::xtensor<std::uint8_t, 4>& images) {
  const std::size_t n = images.shape()[0];
  const std::size_t plane = images.shape()[2] * images.shape()[3];
  if (n == 0) throw DataError("CIFAR-10 channel statistics: expected at least one training image, got none");
  std::array<std::array<std::uint64_t, 256>, kCifarChannels> counts{};
  const std::uint8_t* p = images.data();
  for (std::size_t i = 0; i < n; ++i) {
    for (auto& channel : counts) {
      for (std::size_t k = 0; k < plane; ++k) ++channel[*p++];
    }
  }
  ChannelStats stats;
  const auto total = static_cast<double>(n * plane);
  for (std::size_t c = 0; c < counts.size(); ++c) {
    double sum = 0.0;
    for (int v = 0; v < 256; ++v) sum += static_cast<double>(counts[c][v]) * v;
    stats.mean[c] = sum / 255.0 / total;
    double squares = 0.0;
    for (int v = 0; v < 256; ++v) {
      const double d = v / 255.0 - stats.mean[c];
      squares += static_cast<double>(counts[c][v]) * d * d;
    }
    stats.std[c] = std::sqrt(squares / total);
  }
  return stats;
}

/// Reads CIFAR-10 from `dir`: data_batch_1..5.bin (training, in that order) and, when present,
/// test_batch.bin. With Cifar10Split::kHoldOutValidation the last 5,000 training images (file
/// order, no shuffle; §7) are the validation split and the first 45,000 the training split; with
/// kTrainOnAll all training images train. Without test_batch.bin the test set is the held-out last
/// 5,000 training images in either case (so kTrainOnAll then trains on the first 45,000), and
/// `test_is_held_out` and `note` say so. `stats` are computed on the training split.
inline Cifar10Data load_cifar10(const std::filesystem::path& dir, Cifar10Split split) {
  const auto& files = cifar10_train_files();
  for (const auto& f : files) {
    if (!std::filesystem::is_regular_file(dir / f)) {
      throw DataError("CIFAR-10 file " + (dir / f).string() + " is missing: expected data_batch_1.bin ... " +
                      "data_batch_5.bin (the binary version of CIFAR-10) and optionally test_batch.bin in " +
                      dir.string());
    }
  }
  // Sizes first, so that a bad file fails before the reading, and all records share one buffer.
  std::vector<std::size_t> counts;
  std::size_t total = 0;
  for (const auto& f : files) {
    counts.push_back(detail::cifar10_record_count(dir / f));
    total += counts.back();
  }
  const auto held = static_cast<std::size_t>(kCifarValidationSize);
  if (total <= held) {
    throw DataError("CIFAR-10 training files in " + dir.string() + " hold " + std::to_string(total) +
                    " images: expected more than " + std::to_string(held) + ", since the last " +
                    std::to_string(held) + " are held out");
  }
  xt::xtensor<std::uint8_t, 2> raw = xt::empty<std::uint8_t>({total, kCifarRecordBytes});
  std::size_t offset = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    detail::read_cifar10_records(dir / files[i], counts[i], raw.data() + offset * kCifarRecordBytes);
    offset += counts[i];
  }

  const auto test_path = dir / kCifar10TestFile;
  const bool have_test = std::filesystem::exists(test_path);
  const bool hold_out = split == Cifar10Split::kHoldOutValidation || !have_test;
  const std::size_t train_size = hold_out ? total - held : total;
  Cifar10Data data;
  data.train = detail::decode_cifar10_records(raw, 0, train_size);
  const auto held_out = detail::decode_cifar10_records(raw, train_size, total - train_size);  // empty if none
  data.valid = split == Cifar10Split::kHoldOutValidation ? held_out : detail::decode_cifar10_records(raw, 0, 0);
  if (have_test) {
    data.test = load_cifar10_file(test_path);
  } else {
    data.test = held_out;
    data.test_is_held_out = true;
    const std::string absent = std::string(kCifar10TestFile) + " is not in " + dir.string();
    data.note = split == Cifar10Split::kHoldOutValidation
                    ? absent + ": the test accuracy is measured on the validation split (the last " +
                          std::to_string(held) + " training images)"
                    : absent + ": training uses the first " + std::to_string(train_size) +
                          " training images and the test accuracy is measured on the last " + std::to_string(held) +
                          ", held out";
  }
  data.stats = channel_stats(data.train.images);
  return data;
}

/// The folder holding CIFAR-10: `explicit_dir` when given (it must hold data_batch_1..5.bin),
/// else the first of data::candidate_dirs("cifar-10-batches-bin") that holds them, else a download
/// of the binary archive unpacked into data/. Throws a DataError that says which files to put
/// where when all of that fails.
inline std::filesystem::path locate_cifar10(const std::filesystem::path& explicit_dir = {},
                                            const std::filesystem::path& project_dir = {}) {
  const std::string name = "cifar-10-batches-bin";
  if (!explicit_dir.empty()) {
    for (const auto& f : cifar10_train_files()) {
      if (!std::filesystem::is_regular_file(explicit_dir / f)) {
        throw DataError("--data_path " + explicit_dir.string() + " does not hold " + f +
                        ": expected data_batch_1.bin ... data_batch_5.bin (and optionally test_batch.bin) there");
      }
    }
    return explicit_dir;
  }
  if (auto dir = find_data_dir(name, cifar10_train_files(), project_dir); !dir.empty()) return dir;
  if (detail::download_cifar10("data")) return std::filesystem::path("data") / name;
  std::string tried;
  for (const auto& d : candidate_dirs(name, project_dir)) tried += "\n  " + d.string();
  throw DataError("CIFAR-10 not found. Put data_batch_1.bin ... data_batch_5.bin (and test_batch.bin for a test "
                  "set) of the binary version (https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz) into "
                  "data/cifar-10-batches-bin/, or set ENAS_DATA_DIR to a folder holding cifar-10-batches-bin/, or "
                  "pass --data_path. Looked in:" + tried + "\nand the download into data/ failed.");
}

}  // namespace enas::data

#endif  // ENAS_DATA_CIFAR10_HPP
