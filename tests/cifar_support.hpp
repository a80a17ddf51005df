// A small slice of the real CIFAR-10 images for the tests that train on them.
#ifndef ENAS_TESTS_CIFAR_SUPPORT_HPP
#define ENAS_TESTS_CIFAR_SUPPORT_HPP

#include <cstddef>
#include <optional>

#include "enas/data/cifar10_batches.hpp"
#include "support.hpp"

namespace enas::test {

/// The first `train` training images and `held` validation and test images of the real CIFAR-10
/// (by default 10 batches of 32 and 256), or nothing when the data is not on this machine.
inline std::optional<data::Cifar10Data> small_real_cifar10(std::size_t train = 320, std::size_t held = 256) {
  const auto dir = real_data_dir("cifar-10-batches-bin", data::cifar10_train_files());
  if (dir.empty()) return std::nullopt;
  auto data = data::load_cifar10(dir, data::Cifar10Split::kHoldOutValidation);
  data.train.images = xt::view(data.train.images, xt::range(std::size_t{0}, train));
  data.train.labels = xt::view(data.train.labels, xt::range(std::size_t{0}, train));
  data.valid.images = xt::view(data.valid.images, xt::range(std::size_t{0}, held));
  data.valid.labels = xt::view(data.valid.labels, xt::range(std::size_t{0}, held));
  data.test.images = xt::view(data.test.images, xt::range(std::size_t{0}, held));
  data.test.labels = xt::view(data.test.labels, xt::range(std::size_t{0}, held));
  return data;
}

}  // namespace enas::test

#endif  // ENAS_TESTS_CIFAR_SUPPORT_HPP
