/// @file
/// @brief CIFAR-10 splits on the device, and the ways the loops read them: augmented training
/// minibatches in a new order every epoch, random validation minibatches, evaluation batches.
#ifndef ENAS_DATA_CIFAR10_BATCHES_HPP
#define ENAS_DATA_CIFAR10_BATCHES_HPP

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/data/augmentation.hpp"
#include "enas/data/cifar10.hpp"
#include "enas/util/cuda.hpp"

namespace enas::data {
namespace detail {

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
  // On the CPU, to_device is a no-op and .to(kFloat) makes the one new tensor.
  return cuda::to_device(bytes, device).to(at::kFloat).div_(255.0).sub_(to_device(stats.mean)).div_(to_device(stats.std));
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
  ImageBatch random_batch(std::int64_t batch) { return take(random_index(batch)); }

  /// The indices random_batch(batch) takes, on the device: a minibatch kept as its indices
  /// costs 8 bytes an image.
  at::Tensor random_index(std::int64_t batch) {
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
    return io::to_tensor(picked, images_.device());
  }

  /// The images and labels at `index` (int64 on the device), without augmentation.
  ImageBatch take(const at::Tensor& index) const { return {images_.index_select(0, index), labels_.index_select(0, index)}; }

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

#endif  // ENAS_DATA_CIFAR10_BATCHES_HPP
