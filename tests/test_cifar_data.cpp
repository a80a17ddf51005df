// CIFAR-10 data layer: the reader on the real files and on written ones, the splits, the
// normalisation, the device augmentation (exact placements and statistics), and the batcher's
// epochs and checkpoint state.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "enas/data.hpp"
#include "support.hpp"

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

namespace fs = std::filesystem;
using enas::data::CifarBatches;
using enas::data::Cifar10Split;

namespace {

fs::path cifar_dir() {
  static const auto dir = enas::test::real_data_dir("cifar-10-batches-bin", enas::data::cifar10_train_files());
  return dir;
}

#define REQUIRE_CIFAR(dir)                                                                                         \
  const auto dir = cifar_dir();                                                                                    \
  if (dir.empty()) {                                                                                               \
    WARN("skipped: CIFAR-10 not found (data/cifar-10-batches-bin, $ENAS_DATA_DIR/cifar-10-batches-bin or "         \
         "../shared/data/cifar-10-batches-bin)");                                                                  \
    return;                                                                                                        \
  }

fs::path temp_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("enas_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

/// A binary batch of `labels.size()` records; pixel(r, c, y, x) gives the bytes of record r.
void write_records(const fs::path& path, const std::vector<int>& labels,
                   const std::function<std::uint8_t(int, int, int, int)>& pixel) {
  std::string bytes;
  for (int r = 0; r < static_cast<int>(labels.size()); ++r) {
    bytes.push_back(static_cast<char>(labels[static_cast<std::size_t>(r)]));
    for (int c = 0; c < 3; ++c) {
      for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 32; ++x) bytes.push_back(static_cast<char>(pixel(r, c, y, x)));
      }
    }
  }
  write_bytes(path, bytes);
}

/// Five training files of `per_file` records each, image i (over all files) constant at
/// i mod 251 with label i mod 10, and a test batch of `test` records unless it is 0.
void write_small_cifar(const fs::path& dir, int per_file, int test) {
  for (int f = 0; f < 5; ++f) {
    const int first = f * per_file;
    std::vector<int> labels(static_cast<std::size_t>(per_file));
    for (int r = 0; r < per_file; ++r) labels[static_cast<std::size_t>(r)] = (first + r) % 10;
    write_records(dir / ("data_batch_" + std::to_string(f + 1) + ".bin"), labels,
                  [first](int r, int, int, int) { return static_cast<std::uint8_t>((first + r) % 251); });
  }
  if (test > 0) {
    write_records(dir / "test_batch.bin", std::vector<int>(static_cast<std::size_t>(test), 3),
                  [](int, int, int, int) { return std::uint8_t{200}; });
  }
}

/// Whether image a of `x` and image b of `y` hold the same bytes.
bool same_image(const enas::data::Cifar10Images& x, std::size_t a, const enas::data::Cifar10Images& y, std::size_t b) {
  constexpr std::size_t bytes = 3 * 32 * 32;
  return std::memcmp(x.images.data() + a * bytes, y.images.data() + b * bytes, bytes) == 0;
}

/// A split of n constant images, image i at byte value i (n <= 256) with label i mod 10, whose
/// index can be read back from any pixel of a batch.
enas::data::Cifar10Images indexed_split(int n) {
  enas::data::Cifar10Images s;
  s.images = xt::empty<std::uint8_t>({static_cast<std::size_t>(n), std::size_t{3}, std::size_t{32}, std::size_t{32}});
  s.labels = xt::empty<std::int64_t>({static_cast<std::size_t>(n)});
  for (int i = 0; i < n; ++i) {
    xt::view(s.images, i) = static_cast<std::uint8_t>(i);
    s.labels(static_cast<std::size_t>(i)) = i % 10;
  }
  return s;
}

/// The image indices of a batch of indexed_split images: the centre pixel, which every crop keeps
/// inside the image, un-normalised.
std::vector<std::int64_t> indices_of(const at::Tensor& images, const enas::data::ChannelStats& stats) {
  const auto v = images.select(1, 0).select(1, 16).select(1, 16).to(at::kDouble);
  const auto bytes = ((v * stats.std[0] + stats.mean[0]) * 255.0).round().to(at::kLong).contiguous();
  return {bytes.data_ptr<std::int64_t>(), bytes.data_ptr<std::int64_t>() + bytes.numel()};
}

/// Expected fraction of an H × H image that a clipped size × size cutout with a uniform centre
/// covers: the square's row and column extents are independent, so it is (E[extent] / H)².
double expected_cutout_fraction(int size, int side) {
  double extent = 0.0;
  for (int c = 0; c < side; ++c) {
    const int lo = std::max(0, c - size / 2);
    const int hi = std::min(side, c - size / 2 + size);
    extent += hi - lo;
  }
  const double mean = extent / side / side;
  return mean * mean;
}

}  // namespace

TEST_CASE("the CIFAR-10 reader gives the published counts and pixels on data_batch_1.bin", "[cifar]") {
  REQUIRE_CIFAR(dir);
  const auto b = enas::data::load_cifar10_file(dir / "data_batch_1.bin");
  REQUIRE(b.size() == 10000);
  CHECK(b.images.shape()[0] == 10000);
  CHECK(b.images.shape()[1] == 3);
  CHECK(b.images.shape()[2] == 32);
  CHECK(b.images.shape()[3] == 32);
  std::array<int, 10> histogram{};
  for (const auto label : b.labels) ++histogram[static_cast<std::size_t>(label)];
  CHECK(histogram == std::array<int, 10>{1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981});
  CHECK(b.labels(0) == 6);  // frog
  const std::array<int, 10> red_row0{59, 43, 50, 68, 98, 119, 139, 145, 149, 149};
  for (std::size_t x = 0; x < red_row0.size(); ++x) CHECK(static_cast<int>(b.images(0, 0, 0, x)) == red_row0[x]);
}

TEST_CASE("the CIFAR-10 reader keeps the record layout: label, then red, green, blue rows", "[cifar]") {
  const auto dir = temp_dir("cifar_layout");
  const auto pixel = [](int r, int c, int y, int x) {
    return static_cast<std::uint8_t>((r * 31 + c * 87 + y * 5 + x) % 256);
  };
  write_records(dir / "three.bin", {9, 0, 4}, pixel);
  const auto b = enas::data::load_cifar10_file(dir / "three.bin");
  REQUIRE(b.size() == 3);
  CHECK(b.labels(0) == 9);
  CHECK(b.labels(1) == 0);
  CHECK(b.labels(2) == 4);
  int wrong = 0;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 32; ++x) wrong += b.images(r, c, y, x) != pixel(r, c, y, x);
      }
    }
  }
  CHECK(wrong == 0);
  fs::remove_all(dir);
}

TEST_CASE("missing, empty, truncated and mislabelled CIFAR-10 files are clear errors", "[cifar]") {
  using enas::test::Contains;
  const auto dir = temp_dir("cifar_bad");
  const auto ones = [](int, int, int, int) { return std::uint8_t{1}; };

  CHECK_THROWS_WITH(enas::data::load_cifar10_file(dir / "nothing.bin"),
                    Contains("nothing.bin") && Contains("does not exist") && Contains("3073-byte records"));

  write_bytes(dir / "empty.bin", "");
  CHECK_THROWS_WITH(enas::data::load_cifar10_file(dir / "empty.bin"),
                    Contains("empty.bin") && Contains("has 0 bytes") && Contains("positive multiple of 3073"));

  write_records(dir / "truncated.bin", {1, 2}, ones);
  fs::resize_file(dir / "truncated.bin", 2 * 3073 + 100);
  CHECK_THROWS_WITH(enas::data::load_cifar10_file(dir / "truncated.bin"),
                    Contains("truncated.bin") && Contains("has 6246 bytes") && Contains("positive multiple of 3073") &&
                        Contains("cut off after 100 bytes"));

  write_records(dir / "bad_label.bin", {0, 9, 10, 3}, ones);
  CHECK_THROWS_WITH(enas::data::load_cifar10_file(dir / "bad_label.bin"),
                    Contains("bad_label.bin") && Contains("record 2") && Contains("label 10") &&
                        Contains("expected a class 0-9"));

  // In a folder: the missing training file is named, and so is a bad one.
  write_small_cifar(dir, 1001, 0);
  fs::remove(dir / "data_batch_3.bin");
  CHECK_THROWS_WITH(enas::data::load_cifar10(dir, Cifar10Split::kHoldOutValidation),
                    Contains("data_batch_3.bin is missing") && Contains("data_batch_5.bin"));
  write_bytes(dir / "data_batch_3.bin", "");
  CHECK_THROWS_WITH(enas::data::load_cifar10(dir, Cifar10Split::kTrainOnAll),
                    Contains("data_batch_3.bin") && Contains("has 0 bytes"));
  write_small_cifar(dir, 1000, 0);  // 5,000 images: nothing left to train on
  CHECK_THROWS_WITH(enas::data::load_cifar10(dir, Cifar10Split::kHoldOutValidation),
                    Contains("hold 5000 images") && Contains("expected more than 5000"));
  // A broken test batch is an error, not a reason to hold out a test set.
  write_small_cifar(dir, 1001, 0);
  write_bytes(dir / "test_batch.bin", std::string(3074, '\0'));
  CHECK_THROWS_WITH(enas::data::load_cifar10(dir, Cifar10Split::kTrainOnAll),
                    Contains("test_batch.bin") && Contains("has 3074 bytes"));

  CHECK_THROWS_WITH(enas::data::locate_cifar10(dir / "nowhere"),
                    Contains("--data_path") && Contains("data_batch_1.bin"));
  fs::remove_all(dir);
}

TEST_CASE("load_cifar10 holds out the last 5,000 training images in file order", "[cifar]") {
  const auto dir = temp_dir("cifar_split");
  write_small_cifar(dir, 1001, 7);  // 5,005 training images, image i constant at i mod 251

  SECTION("with a test batch") {
    const auto search = enas::data::load_cifar10(dir, Cifar10Split::kHoldOutValidation);
    CHECK(search.train.size() == 5);
    CHECK(search.valid.size() == 5000);
    CHECK(search.test.size() == 7);
    CHECK_FALSE(search.test_is_held_out);
    CHECK(search.note.empty());
    CHECK(search.train.images(4, 0, 0, 0) == 4);
    CHECK(search.valid.labels(0) == 5);  // image 5 opens the validation split ...
    CHECK(search.valid.images(0, 2, 31, 31) == 5);
    CHECK(search.valid.images(4999, 1, 7, 3) == 5004 % 251);  // ... and the last image closes it
    CHECK(search.test.images(6, 0, 0, 0) == 200);

    const auto final_run = enas::data::load_cifar10(dir, Cifar10Split::kTrainOnAll);
    CHECK(final_run.train.size() == 5005);
    CHECK(final_run.valid.size() == 0);
    CHECK(final_run.valid.images.shape()[1] == 3);
    CHECK(final_run.test.size() == 7);
    CHECK_FALSE(final_run.test_is_held_out);
  }
  SECTION("without a test batch the test set is the held-out last 5,000") {
    fs::remove(dir / "test_batch.bin");
    const auto search = enas::data::load_cifar10(dir, Cifar10Split::kHoldOutValidation);
    CHECK(search.train.size() == 5);
    CHECK(search.valid.size() == 5000);
    CHECK(search.test_is_held_out);
    CHECK(search.test.size() == 5000);
    CHECK(same_image(search.test, 0, search.valid, 0));
    CHECK_THAT(search.note, enas::test::Contains("test_batch.bin is not in") &&
                                enas::test::Contains("validation split"));

    const auto final_run = enas::data::load_cifar10(dir, Cifar10Split::kTrainOnAll);
    CHECK(final_run.train.size() == 5);
    CHECK(final_run.valid.size() == 0);
    CHECK(final_run.test_is_held_out);
    CHECK(final_run.test.size() == 5000);
    CHECK(final_run.test.labels(0) == 5);
    CHECK_THAT(final_run.note, enas::test::Contains("the first 5 training images"));
  }
  fs::remove_all(dir);
}

TEST_CASE("on the real training files the search splits 45,000 / 5,000 in file order", "[cifar]") {
  REQUIRE_CIFAR(dir);
  const auto data = enas::data::load_cifar10(dir, Cifar10Split::kHoldOutValidation);
  CHECK(data.train.size() == 45000);
  CHECK(data.valid.size() == 5000);
  const auto first = enas::data::load_cifar10_file(dir / "data_batch_1.bin");
  const auto last = enas::data::load_cifar10_file(dir / "data_batch_5.bin");
  CHECK(same_image(data.train, 0, first, 0));
  CHECK(same_image(data.train, 44999, last, 4999));
  CHECK(same_image(data.valid, 0, last, 5000));
  CHECK(same_image(data.valid, 4999, last, 9999));
  CHECK(std::equal(data.valid.labels.begin(), data.valid.labels.end(), last.labels.begin() + 5000));
  if (!fs::exists(dir / "test_batch.bin")) {
    CHECK(data.test_is_held_out);
    CHECK(data.test.size() == 5000);
    CHECK(same_image(data.test, 0, last, 5000));
  }
  // Statistics of the first 45,000 images (computed independently in double precision).
  const std::array<double, 3> mean{0.49154913, 0.48212510, 0.44642678};
  const std::array<double, 3> std{0.24715214, 0.24367544, 0.26173454};
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(data.stats.mean[c] == Approx(mean[c]).margin(1e-8));
    CHECK(data.stats.std[c] == Approx(std[c]).margin(1e-8));
  }
}

TEST_CASE("normalised training images have per-channel mean 0 and std 1", "[cifar]") {
  // Channels with different ranges, so that each needs its own statistics.
  enas::data::Cifar10Images split;
  split.images = xt::empty<std::uint8_t>({std::size_t{400}, std::size_t{3}, std::size_t{32}, std::size_t{32}});
  split.labels = xt::zeros<std::int64_t>({std::size_t{400}});
  std::uint32_t state = 12345;
  for (std::size_t i = 0; i < 400; ++i) {
    for (std::size_t c = 0; c < 3; ++c) {
      for (std::size_t y = 0; y < 32; ++y) {
        for (std::size_t x = 0; x < 32; ++x) {
          state = state * 1664525u + 1013904223u;
          split.images(i, c, y, x) = static_cast<std::uint8_t>(c * 60 + (state >> 24) % (40 + 60 * c));
        }
      }
    }
  }
  const auto stats = enas::data::channel_stats(split.images);
  CHECK(stats.mean[0] < stats.mean[1]);
  CHECK(stats.std[0] < stats.std[2]);
  const CifarBatches batches(split, stats, at::Device("cpu"));
  const auto& x = batches.images();
  CHECK(x.scalar_type() == at::kFloat);
  CHECK(x.sizes() == at::IntArrayRef{400, 3, 32, 32});
  for (std::int64_t c = 0; c < 3; ++c) {
    const auto channel = x.select(1, c).to(at::kDouble);
    CHECK(channel.mean().item<double>() == Approx(0.0).margin(1e-6));
    CHECK(channel.std(/*unbiased=*/false).item<double>() == Approx(1.0).margin(1e-6));
  }
  // Normalisation maps a byte v of channel c to (v / 255 − mean) / std.
  CHECK(x[7][2][3][4].item<double>() ==
        Approx((split.images(7, 2, 3, 4) / 255.0 - stats.mean[2]) / stats.std[2]).epsilon(1e-5));
}

TEST_CASE("crop_and_flip moves the image by the offsets and pads with zeros", "[cifar][augment]") {
  // Pixel (y, x) of every image holds y·32 + x + 1, so every output pixel names its source.
  const auto grid = (at::arange(32, at::kFloat).view({32, 1}) * 32 + at::arange(32, at::kFloat) + 1);
  const auto images = grid.view({1, 1, 32, 32}).expand({162, 3, 32, 32}).contiguous();
  std::vector<std::int64_t> top, left;
  std::vector<std::uint8_t> flip;
  for (int f = 0; f < 2; ++f) {
    for (int t = 0; t <= 8; ++t) {
      for (int l = 0; l <= 8; ++l) {
        top.push_back(t);
        left.push_back(l);
        flip.push_back(static_cast<std::uint8_t>(f));
      }
    }
  }
  const auto out = enas::data::crop_and_flip(images, 4, at::tensor(top), at::tensor(left),
                                             at::tensor(at::ArrayRef<std::uint8_t>(flip)).to(at::kBool));
  REQUIRE(out.sizes() == at::IntArrayRef{162, 3, 32, 32});
  const auto a = out.accessor<float, 4>();
  int wrong = 0;
  for (std::size_t b = 0; b < top.size(); ++b) {
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x) {
        const int sy = y + static_cast<int>(top[b]) - 4;
        const int sx = (flip[b] != 0 ? 31 - x : x) + static_cast<int>(left[b]) - 4;
        const bool inside = sy >= 0 && sy < 32 && sx >= 0 && sx < 32;
        const float expected = inside ? static_cast<float>(sy * 32 + sx + 1) : 0.0f;
        for (int c = 0; c < 3; ++c) wrong += a[static_cast<std::int64_t>(b)][c][y][x] != expected;
      }
    }
  }
  CHECK(wrong == 0);
}

TEST_CASE("random crops of a constant image are zero only in a frame of at most 4 rows and columns",
          "[cifar][augment]") {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(21);
  const std::int64_t n = 2000;
  const auto out = enas::data::augment(at::ones({n, 3, 32, 32}), 0, generator);
  REQUIRE(out.sizes() == at::IntArrayRef{n, 3, 32, 32});
  const auto zero = out.eq(0);
  CHECK(zero.logical_or(out.eq(1)).all().item<bool>());
  const auto zero_rows = zero.sum({1, 3}).eq(3 * 32);  // [n, 32]: rows zero in every channel
  const auto zero_cols = zero.sum({1, 2}).eq(3 * 32);
  CHECK_FALSE(zero_rows.narrow(1, 4, 24).any().item<bool>());  // the frame is at most 4 wide ...
  CHECK_FALSE(zero_cols.narrow(1, 4, 24).any().item<bool>());
  CHECK_FALSE(zero_rows.select(1, 0).logical_and(zero_rows.select(1, 31)).any().item<bool>());  // ... on one side
  CHECK_FALSE(zero_cols.select(1, 0).logical_and(zero_cols.select(1, 31)).any().item<bool>());
  // Every zero lies in a zero row or column: the zeros are exactly the union of those.
  const auto r = zero_rows.sum(1), c = zero_cols.sum(1);
  CHECK(at::equal(zero.sum({1, 2, 3}), 3 * (32 * r + 32 * c - r * c)));
  // The vertical shift (zero rows at the top minus at the bottom) is uniform over −4..4.
  const auto shift = zero_rows.narrow(1, 0, 4).sum(1) - zero_rows.narrow(1, 28, 4).sum(1);
  for (std::int64_t s = -4; s <= 4; ++s) {
    const double rate = shift.eq(s).sum().item<double>() / n;
    INFO("shift " << s);
    CHECK(rate == Approx(1.0 / 9).margin(0.03));
  }
}

TEST_CASE("random flips hit half the images and crop offsets are uniform", "[cifar][augment]") {
  // Column x holds x + 1: a flipped row decreases, and the centre pixel gives the offset.
  const std::int64_t n = 10000;
  const auto images = (at::arange(32, at::kFloat) + 1).expand({n, 1, 32, 32}).contiguous();
  auto generator = at::make_generator<at::CPUGeneratorImpl>(11);
  const auto out = enas::data::augment(images, 0, generator);
  const auto centre = out.select(1, 0).select(1, 16);  // row 16: [n, 32]
  const auto flipped = centre.select(1, 16).lt(centre.select(1, 15));
  const double flip_rate = flipped.to(at::kDouble).mean().item<double>();
  CHECK(flip_rate == Approx(0.5).margin(0.025));  // 5 standard deviations for n = 10,000
  // Unflipped, column 16 reads source column 12 + left (value 13 + left); flipped, 11 + left.
  const auto left = centre.select(1, 16).to(at::kLong) - 13 + flipped.to(at::kLong);
  for (std::int64_t l = 0; l <= 8; ++l) {
    const double rate = left.eq(l).sum().item<double>() / n;
    INFO("left offset " << l);
    CHECK(rate == Approx(1.0 / 9).margin(0.015));
  }
  // A fixed seed reproduces the batch; another seed does not.
  const auto few = images.narrow(0, 0, 256);
  CHECK(at::equal(enas::data::augment(few, 8, at::make_generator<at::CPUGeneratorImpl>(3)),
                  enas::data::augment(few, 8, at::make_generator<at::CPUGeneratorImpl>(3))));
  CHECK_FALSE(at::equal(enas::data::augment(few, 8, at::make_generator<at::CPUGeneratorImpl>(3)),
                        enas::data::augment(few, 8, at::make_generator<at::CPUGeneratorImpl>(4))));
}

TEST_CASE("cutout zeroes the square around the given centre, clipped at the borders", "[cifar][augment]") {
  struct Case {
    int size, cy, cx;
  };
  const std::vector<Case> cases{{16, 0, 0}, {16, 16, 16}, {16, 31, 5}, {16, 10, 31}, {5, 20, 20}, {5, 0, 31}};
  for (const auto& k : cases) {
    INFO("size " << k.size << ", centre (" << k.cy << ", " << k.cx << ")");
    const auto out = enas::data::cutout(at::ones({1, 2, 32, 32}), k.size, at::full({1}, k.cy, at::kLong),
                                        at::full({1}, k.cx, at::kLong));
    const auto a = out.accessor<float, 4>();
    int wrong = 0, zeros = 0;
    for (int c = 0; c < 2; ++c) {
      for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 32; ++x) {
          const int y0 = k.cy - k.size / 2, x0 = k.cx - k.size / 2;
          const bool inside = y >= y0 && y < y0 + k.size && x >= x0 && x < x0 + k.size;
          wrong += a[0][c][y][x] != (inside ? 0.0f : 1.0f);
          zeros += a[0][c][y][x] == 0.0f;
        }
      }
    }
    CHECK(wrong == 0);
    CHECK(zeros > 0);
  }
  // A square fully inside covers exactly size² pixels per channel.
  const auto inside = enas::data::cutout(at::ones({1, 1, 32, 32}), 16, at::full({1}, 16, at::kLong),
                                         at::full({1}, 16, at::kLong));
  CHECK(inside.eq(0).sum().item<std::int64_t>() == 256);
}

TEST_CASE("random cutout zeroes the expected fraction of pixels", "[cifar][augment]") {
  CHECK(expected_cutout_fraction(16, 32) == Approx(0.19140625));  // (14/32)²: centres near a border clip
  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  for (const int size : {16, 20, 5}) {
    const auto out = enas::data::random_cutout(at::ones({4096, 1, 32, 32}), size, generator);
    const double fraction = out.eq(0).to(at::kDouble).mean().item<double>();
    INFO("size " << size);
    CHECK(fraction == Approx(expected_cutout_fraction(size, 32)).margin(0.005));
  }
}

TEST_CASE("the batcher serves every training image once per epoch, in a new order each epoch", "[cifar]") {
  const auto split = indexed_split(250);
  const auto stats = enas::data::channel_stats(split.images);
  enas::data::CifarBatchOptions options;
  options.batch_size = 32;
  options.seed = 5;
  CifarBatches batches(split, stats, at::Device("cpu"), options);
  REQUIRE(batches.batches_per_epoch() == 8);  // ceil(250 / 32)
  auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
  std::vector<std::vector<std::int64_t>> epochs;
  for (int e = 0; e < 2; ++e) {
    std::vector<std::int64_t> seen;
    for (std::int64_t b = 0; b < batches.batches_per_epoch(); ++b) {
      const auto batch = batches.next_batch(generator);
      CHECK(batch.images.size(0) == (b < 7 ? 32 : 26));
      CHECK(batch.images.sizes() == at::IntArrayRef{batch.images.size(0), 3, 32, 32});
      const auto idx = indices_of(batch.images, stats);
      const auto labels = batch.labels.contiguous();
      for (std::size_t i = 0; i < idx.size(); ++i) CHECK(labels.data_ptr<std::int64_t>()[i] == idx[i] % 10);
      seen.insert(seen.end(), idx.begin(), idx.end());
    }
    epochs.push_back(seen);
    std::sort(seen.begin(), seen.end());
    std::vector<std::int64_t> all(250);
    std::iota(all.begin(), all.end(), 0);
    CHECK(seen == all);
  }
  CHECK(epochs[0] != epochs[1]);
}

TEST_CASE("restoring the batcher state reproduces the next batches", "[cifar]") {
  const auto split = indexed_split(250);
  const auto stats = enas::data::channel_stats(split.images);
  enas::data::CifarBatchOptions options;
  options.batch_size = 32;
  options.cutout_size = 8;
  options.seed = 5;
  CifarBatches batches(split, stats, at::Device("cpu"), options);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(9);
  for (int i = 0; i < 3; ++i) batches.next_batch(generator);
  const auto saved = batches.state();
  const auto saved_generator = generator.get_state();
  std::vector<enas::data::ImageBatch> expected;
  for (int i = 0; i < 7; ++i) expected.push_back(batches.next_batch(generator));  // crosses into the next epoch
  const auto expected_valid = batches.random_batch(20);

  options.seed = 77;
  CifarBatches restored(split, stats, at::Device("cpu"), options);
  restored.set_state(saved);
  generator.set_state(saved_generator);
  for (const auto& e : expected) {
    const auto got = restored.next_batch(generator);
    CHECK(at::equal(got.images, e.images));
    CHECK(at::equal(got.labels, e.labels));
  }
  CHECK(at::equal(restored.random_batch(20).labels, expected_valid.labels));

  auto bad = saved;
  bad.position = 251;
  CHECK_THROWS_AS(restored.set_state(bad), enas::CheckpointError);
  bad = saved;
  bad.rng = "not a generator";
  CHECK_THROWS_AS(restored.set_state(bad), enas::CheckpointError);
}

TEST_CASE("validation minibatches are uniform draws without augmentation, and evaluation is in order", "[cifar]") {
  const auto split = indexed_split(250);
  const auto stats = enas::data::channel_stats(split.images);
  CifarBatches valid(split, stats, at::Device("cpu"));
  std::vector<int> counts(250);
  for (int k = 0; k < 250; ++k) {
    const auto batch = valid.random_batch(40);
    auto idx = indices_of(batch.images, stats);
    const auto index = at::tensor(idx);
    CHECK(at::equal(batch.images, valid.images().index_select(0, index)));  // unaugmented
    CHECK(at::equal(batch.labels, valid.labels().index_select(0, index)));
    std::sort(idx.begin(), idx.end());
    CHECK(std::adjacent_find(idx.begin(), idx.end()) == idx.end());  // distinct
    for (const auto i : idx) ++counts[static_cast<std::size_t>(i)];
  }
  // Each image is drawn 40 times on average (binomial, standard deviation about 6).
  CHECK(*std::min_element(counts.begin(), counts.end()) > 15);
  CHECK(*std::max_element(counts.begin(), counts.end()) < 65);
  CHECK_THROWS_AS(valid.random_batch(251), enas::ConfigError);

  CHECK(valid.num_eval_batches(100) == 3);
  const auto last = valid.eval_batch(2, 100);
  CHECK(last.images.size(0) == 50);
  CHECK(at::equal(last.labels, valid.labels().narrow(0, 200, 50)));
  CHECK(indices_of(last.images, stats).front() == 200);
  CHECK_THROWS_AS(valid.eval_batch(3, 100), enas::ConfigError);

  enas::data::CifarBatchOptions zero_batch;
  zero_batch.batch_size = 0;
  CHECK_THROWS_WITH(CifarBatches(split, stats, at::Device("cpu"), zero_batch),
                    enas::test::Contains("batch_size must be at least 1, got 0"));
}

TEST_CASE("locate_cifar10 finds the real training files", "[cifar]") {
  REQUIRE_CIFAR(dir);
  const auto found = enas::data::locate_cifar10({}, ENAS_PROJECT_DIR);
  for (const auto& f : enas::data::cifar10_train_files()) CHECK(fs::is_regular_file(found / f));
  CHECK(enas::data::locate_cifar10(dir) == dir);
}
