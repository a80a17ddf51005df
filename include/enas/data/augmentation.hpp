/// @file
/// @brief Training augmentation of image batches on their device (§7): zero padding, a random
/// crop back to size, a random horizontal flip, and cutout.
#ifndef ENAS_DATA_AUGMENTATION_HPP
#define ENAS_DATA_AUGMENTATION_HPP

#include <ATen/ATen.h>

#include <cstdint>

namespace enas::data {

/// Zero padding on each side before the random crop (§7).
inline constexpr std::int64_t kCifarPad = 4;

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

}  // namespace enas::data

#endif  // ENAS_DATA_AUGMENTATION_HPP
