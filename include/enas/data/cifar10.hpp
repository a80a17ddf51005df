/// @file
/// @brief CIFAR-10 (the binary version): reading, splits, normalisation, and training batches
/// augmented on the device (enas-reference.md §7, cutout §5.5).
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
#include <limits>
#include <numeric>
#include <random>
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
/// Zero padding on each side before the random crop (§7).
inline constexpr std::int64_t kCifarPad = 4;
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
    throw DataError("CIFAR-10 file " + path.string() + " does not exist: expected a binary batch of " +
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

/// A uniform integer in [0, n), n > 0, by rejection. std::uniform_int_distribution may draw
/// differently in each standard library; this is the same everywhere, so a saved batcher state
/// resumes the same order on any machine.
inline std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t limit = max - max % n;  // [0, limit) holds a whole number of copies of [0, n)
  std::uint64_t r = rng();
  while (r >= limit) r = rng();
  return r % n;
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

/// `images` scaled to [0, 1] and normalised per channel with `stats`, as a float tensor
/// [N, 3, H, W] on `device`. Only the bytes cross to the device (one copy, a quarter of the
/// floats' size); the arithmetic runs there, in float as the reference does.
inline at::Tensor normalize_images(const xt::xtensor<std::uint8_t, 4>& images, const ChannelStats& stats,
                                   const at::Device& device) {
  for (std::size_t c = 0; c < stats.std.size(); ++c) {
    if (!(stats.std[c] > 0.0)) {
      throw DataError("CIFAR-10 normalisation: channel " + std::to_string(c) +
                      " of the training images is constant (std 0); expected natural images");
    }
  }
  const std::vector<std::int64_t> shape(images.shape().begin(), images.shape().end());
  const auto bytes = at::from_blob(const_cast<std::uint8_t*>(images.data()), shape, at::kByte);
  const auto to_device = [&](const std::array<double, kCifarChannels>& v) {
    return at::tensor(std::vector<float>(v.begin(), v.end())).view({1, kCifarChannels, 1, 1}).to(device);
  };
  // On the CPU, .to(device) is a no-op and .to(kFloat) makes the one new tensor.
  return bytes.to(device).to(at::kFloat).div_(255.0).sub_(to_device(stats.mean)).div_(to_device(stats.std));
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

/// `images` ([B, C, H, W]) padded with `pad` zeros on every side, cropped back to H × W at row
/// `top[b]` and column `left[b]` of the padded image (each in [0, 2·pad]), then flipped
/// horizontally where `flip[b]` is true. One gather over the padded batch; `top`, `left` ([B],
/// int64) and `flip` ([B], bool) live on the images' device.
inline at::Tensor crop_and_flip(const at::Tensor& images, std::int64_t pad, const at::Tensor& top,
                                const at::Tensor& left, const at::Tensor& flip) {
  const auto b = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const auto padded_w = w + 2 * pad;
  const auto opts = at::TensorOptions().device(images.device()).dtype(at::kLong);
  const auto padded = at::constant_pad_nd(images, {pad, pad, pad, pad}, 0);
  const auto cols = at::arange(w, opts);
  const auto rows = top.unsqueeze(1) + at::arange(h, opts);                                      // [B, H]
  const auto src_cols = left.unsqueeze(1) + at::where(flip.unsqueeze(1), (w - 1) - cols, cols);  // [B, W]
  const auto index = (rows.unsqueeze(2) * padded_w + src_cols.unsqueeze(1)).view({b, 1, h * w}).expand({b, c, h * w});
  return padded.flatten(2).gather(2, index).view({b, c, h, w});
}

/// crop_and_flip with offsets drawn uniformly from [0, 2·pad] and a flip with probability 1/2
/// per image, from `generator` (default: LibTorch's default generator of the images' device).
inline at::Tensor random_crop_and_flip(const at::Tensor& images, std::int64_t pad,
                                       c10::optional<at::Generator> generator = c10::nullopt) {
  const auto b = images.size(0);
  const auto opts = at::TensorOptions().device(images.device()).dtype(at::kLong);
  const auto top = at::randint(0, 2 * pad + 1, {b}, generator, opts);
  const auto left = at::randint(0, 2 * pad + 1, {b}, generator, opts);
  const auto flip = at::randint(0, 2, {b}, generator, opts).to(at::kBool);
  return crop_and_flip(images, pad, top, left, flip);
}

/// `images` ([B, C, H, W]) with a `size` × `size` square set to 0 in every channel: rows
/// [center_y[b] − size/2, center_y[b] − size/2 + size) and the same columns around center_x[b],
/// clipped at the borders (DeVries & Taylor's placement; for even sizes exactly their mask).
/// `center_y`, `center_x`: [B], int64, on the images' device.
inline at::Tensor cutout(const at::Tensor& images, std::int64_t size, const at::Tensor& center_y,
                         const at::Tensor& center_x) {
  const auto b = images.size(0), h = images.size(2), w = images.size(3);
  const auto opts = at::TensorOptions().device(images.device()).dtype(at::kLong);
  const auto y0 = (center_y - size / 2).view({b, 1, 1, 1});
  const auto x0 = (center_x - size / 2).view({b, 1, 1, 1});
  const auto ys = at::arange(h, opts).view({1, 1, h, 1});
  const auto xs = at::arange(w, opts).view({1, 1, 1, w});
  const auto rows = (ys >= y0).logical_and_(ys < y0 + size);  // [B, 1, H, 1]
  const auto cols = (xs >= x0).logical_and_(xs < x0 + size);  // [B, 1, 1, W]
  return images.masked_fill(rows.logical_and(cols), 0);
}

/// cutout with each image's centre drawn uniformly from [0, H) × [0, W) by `generator` (default:
/// LibTorch's default generator of the images' device). The reference's unused code (§5.5) drew
/// the top-left corner instead, so its squares were never centred and ran off to the right and
/// bottom only.
inline at::Tensor random_cutout(const at::Tensor& images, std::int64_t size,
                                c10::optional<at::Generator> generator = c10::nullopt) {
  const auto b = images.size(0);
  const auto opts = at::TensorOptions().device(images.device()).dtype(at::kLong);
  const auto center_y = at::randint(0, images.size(2), {b}, generator, opts);
  const auto center_x = at::randint(0, images.size(3), {b}, generator, opts);
  return cutout(images, size, center_y, center_x);
}

/// The training augmentation of §7 on a normalised batch, all on its device: zero padding of 4
/// (0 is the channel mean), a random crop back to the original size, a random horizontal flip,
/// then, when `cutout_size` > 0, a random cutout. Draws from `generator` (default: LibTorch's
/// default generator of the images' device), so a fixed seed reproduces the batch.
inline at::Tensor augment(const at::Tensor& images, std::int64_t cutout_size,
                          c10::optional<at::Generator> generator = c10::nullopt) {
  auto out = random_crop_and_flip(images, kCifarPad, generator);
  return cutout_size > 0 ? random_cutout(out, cutout_size, generator) : out;
}

/// Images [B, 3, 32, 32] (float, normalised) and labels [B] (int64), on the device.
struct ImageBatch {
  at::Tensor images;  ///< [B, 3, 32, 32], float
  at::Tensor labels;  ///< [B], int64
};

/// What restores a CifarBatches to the same place in the same epoch order (for checkpoints).
/// LibTorch's generator that drives the augmentation is the caller's to save.
struct CifarBatchesState {
  std::string rng;               ///< the host generator, as std::mt19937_64's operator<< writes it
  std::uint64_t epoch_seed = 0;  ///< seed of the current epoch's order
  std::int64_t position = 0;     ///< images of the current epoch served so far
};

/// Options of a CifarBatches.
struct CifarBatchOptions {
  std::int64_t batch_size = 128;  ///< training minibatch size B
  std::int64_t cutout_size = 0;   ///< side of the cutout square; 0: no cutout
  std::uint64_t seed = 0;         ///< seeds the host generator (epoch orders, validation minibatches)
};

/// One split, normalised and stored on the device once, with the three ways the loop reads it:
/// augmented training minibatches over a new random order every epoch (next_batch), a uniformly
/// drawn validation minibatch without augmentation (random_batch, for the controller's reward),
/// and batches in order for evaluation (eval_batch).
class CifarBatches {
 public:
  /// Normalises `split` with `stats` (of the training portion) and copies it to `device`.
  CifarBatches(const Cifar10Images& split, const ChannelStats& stats, const at::Device& device,
               const CifarBatchOptions& options = {})
      : options_(options), rng_(options.seed) {
    if (options.batch_size < 1) {
      throw ConfigError("CIFAR batches: batch_size must be at least 1, got " + std::to_string(options.batch_size));
    }
    if (options.cutout_size < 0) {
      throw ConfigError("CIFAR batches: cutout_size must be at least 0 (0 = no cutout), got " +
                        std::to_string(options.cutout_size));
    }
    if (split.size() == 0) throw DataError("CIFAR batches: the split has no images; expected at least one");
    if (split.images.shape()[0] != split.labels.size()) {
      throw DataError("CIFAR batches: the split has " + std::to_string(split.images.shape()[0]) + " images but " +
                      std::to_string(split.labels.size()) + " labels; expected one label per image");
    }
    images_ = normalize_images(split.images, stats, device);
    labels_ = io::to_tensor(split.labels, device);
    position_ = size();  // no epoch in progress: the first next_batch starts one
  }

  /// Number of images N.
  std::int64_t size() const { return labels_.size(0); }
  /// Training minibatch size B.
  std::int64_t batch_size() const { return options_.batch_size; }
  /// Side of the cutout square (0: none).
  std::int64_t cutout_size() const { return options_.cutout_size; }
  /// ceil(N / B): the last minibatch of an epoch holds the remaining N mod B images when B does
  /// not divide N.
  std::int64_t batches_per_epoch() const { return (size() + batch_size() - 1) / batch_size(); }

  /// The next augmented training minibatch of the current epoch; after the last one, the first of
  /// a new epoch with a new random order. The order comes from the host generator; the
  /// augmentation draws from `generator`, which must belong to the device (default: LibTorch's
  /// default generator there).
  ImageBatch next_batch(c10::optional<at::Generator> generator = c10::nullopt) {
    if (position_ == size()) start_epoch(rng_());
    const auto count = std::min(batch_size(), size() - position_);
    const auto index = order_.narrow(0, position_, count);
    position_ += count;
    return {augment(images_.index_select(0, index), cutout_size(), generator), labels_.index_select(0, index)};
  }

  /// `batch` distinct images drawn uniformly by the host generator, without augmentation (the
  /// reference's shuffled validation minibatch for the controller's reward).
  ImageBatch random_batch(std::int64_t batch) {
    if (batch < 1 || batch > size()) {
      throw ConfigError("CIFAR random minibatch of " + std::to_string(batch) + " images from a split of " +
                        std::to_string(size()) + ": expected between 1 and the split's size");
    }
    xt::xtensor<std::int64_t, 1> order = xt::empty<std::int64_t>({static_cast<std::size_t>(size())});
    std::iota(order.begin(), order.end(), std::int64_t{0});
    // The first `batch` steps of a Fisher-Yates shuffle.
    for (std::int64_t i = 0; i < batch; ++i) {
      const auto j = i + static_cast<std::int64_t>(detail::uniform_below(rng_, static_cast<std::uint64_t>(size() - i)));
      std::swap(order(i), order(j));
    }
    const xt::xtensor<std::int64_t, 1> picked = xt::view(order, xt::range(0, batch));
    const auto index = io::to_tensor(picked, images_.device());
    return {images_.index_select(0, index), labels_.index_select(0, index)};
  }

  /// Number of evaluation batches of size `batch`: ceil(N / batch).
  std::int64_t num_eval_batches(std::int64_t batch) const {
    if (batch < 1) throw ConfigError("CIFAR evaluation batch size must be at least 1, got " + std::to_string(batch));
    return (size() + batch - 1) / batch;
  }

  /// Evaluation batch i (0 <= i < num_eval_batches(batch)) in file order, without augmentation:
  /// images [i·batch, min((i+1)·batch, N)) as views of the stored split.
  ImageBatch eval_batch(std::int64_t i, std::int64_t batch) const {
    if (i < 0 || i >= num_eval_batches(batch)) {
      throw ConfigError("CIFAR evaluation batch " + std::to_string(i) + " does not exist: expected 0 to " +
                        std::to_string(num_eval_batches(batch) - 1) + " for batches of " + std::to_string(batch));
    }
    const auto begin = i * batch;
    const auto count = std::min(batch, size() - begin);
    return {images_.narrow(0, begin, count), labels_.narrow(0, begin, count)};
  }

  /// The host generator and the place in the current epoch.
  CifarBatchesState state() const {
    std::ostringstream out;
    out << rng_;
    return {out.str(), epoch_seed_, position_};
  }

  /// Restores a state() of a CifarBatches over a split of the same size: the next minibatches
  /// are those the saved one would have given (with the augmentation generator restored too).
  void set_state(const CifarBatchesState& s) {
    if (s.position < 0 || s.position > size()) {
      throw CheckpointError("CIFAR batcher state: position " + std::to_string(s.position) +
                            " is outside the split of " + std::to_string(size()) + " images");
    }
    std::istringstream in(s.rng);
    std::mt19937_64 rng;
    if (!(in >> rng)) throw CheckpointError("CIFAR batcher state: the host generator state is unreadable");
    rng_ = rng;
    start_epoch(s.epoch_seed);
    position_ = s.position;
  }

  /// The host generator (epoch orders, validation minibatches).
  std::mt19937_64& rng() { return rng_; }
  /// The whole split: normalised images [N, 3, 32, 32] (float) on the device.
  const at::Tensor& images() const { return images_; }
  /// The whole split's labels [N] (int64) on the device.
  const at::Tensor& labels() const { return labels_; }

 private:
  /// A new epoch: the order is a Fisher-Yates shuffle seeded by `seed`, so that a checkpoint
  /// needs only the seed, not the permutation.
  void start_epoch(std::uint64_t seed) {
    epoch_seed_ = seed;
    std::mt19937_64 shuffle(seed);
    xt::xtensor<std::int64_t, 1> order = xt::empty<std::int64_t>({static_cast<std::size_t>(size())});
    std::iota(order.begin(), order.end(), std::int64_t{0});
    for (auto i = static_cast<std::uint64_t>(size()) - 1; i > 0; --i) {
      std::swap(order(i), order(detail::uniform_below(shuffle, i + 1)));
    }
    order_ = io::to_tensor(order, images_.device());  // one copy per epoch
    position_ = 0;
  }

  CifarBatchOptions options_;
  std::mt19937_64 rng_;
  std::uint64_t epoch_seed_ = 0;
  std::int64_t position_ = 0;
  at::Tensor images_;
  at::Tensor labels_;
  at::Tensor order_;  // the current epoch's order of image indices, on the device
};

}  // namespace enas::data

#endif  // ENAS_DATA_CIFAR10_HPP
