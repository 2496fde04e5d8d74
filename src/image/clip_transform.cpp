#include "image/clip_transform.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "image/geometry.h"
#include "image/resample.h"
#include "util/error.h"

namespace argus::image {

int clip_crop_offset(int from, int to) {
  return static_cast<int>(std::nearbyint((from - to) / 2.0));  // default rounding: half to even
}

namespace {

// PIL's MULDIV255: c * a / 255 rounded, in integers.
uint8_t premultiply(unsigned c, unsigned a) {
  const unsigned t = c * a + 128;
  return static_cast<uint8_t>(((t >> 8) + t) >> 8);
}

// PIL's rgba2rgbA, colour only: the alpha is dropped right after.
uint8_t unpremultiply(unsigned c, unsigned a) {
  if (a == 0 || a == 255) return static_cast<uint8_t>(c);
  const unsigned v = 255 * c / a;
  return static_cast<uint8_t>(v > 255 ? 255 : v);
}

// Image.resize on an RGBA image, then convert("RGB").
Image resize_with_alpha(const Image& im, int width, int height) {
  const size_t n = static_cast<size_t>(im.width) * static_cast<size_t>(im.height);
  std::vector<uint8_t> rgba(n * 4);
  for (size_t i = 0; i < n; ++i) {
    const unsigned a = im.alpha[i];
    for (int c = 0; c < 3; ++c) rgba[4 * i + c] = premultiply(im.pixels[3 * i + c], a);
    rgba[4 * i + 3] = static_cast<uint8_t>(a);
  }
  std::vector<uint8_t> out = resize_u8(rgba.data(), im.width, im.height, 4, width, height, Filter::Bicubic);
  Image r;
  r.width = width;
  r.height = height;
  const size_t m = static_cast<size_t>(width) * static_cast<size_t>(height);
  r.pixels.resize(m * 3);
  for (size_t i = 0; i < m; ++i)
    for (int c = 0; c < 3; ++c) r.pixels[3 * i + c] = unpremultiply(out[4 * i + c], out[4 * i + 3]);
  return r;
}

}  // namespace

PixelValues clip_transform(const Image& im, int size, const std::array<double, 3>& mean,
                           const std::array<double, 3>& std, bool squash) {
  if (size <= 0) fail("clip_transform: image size {} is not positive", size);
  const Size2 t = squash ? Size2{size, size} : shortest_edge_size(im.height, im.width, size);
  // torchvision hands an image already at the target size back unchanged.
  if (!im.alpha.empty() && im.alpha.size() != static_cast<size_t>(im.width) * static_cast<size_t>(im.height))
    fail("clip_transform: alpha plane of {} bytes for a {}x{} image", im.alpha.size(), im.width, im.height);
  // An unresized RGBA image loses its alpha unchanged, the same as the RGB it carries.
  Image resized = t.height == im.height && t.width == im.width ? im
                  : im.alpha.empty() ? resize(im, t.width, t.height, Filter::Bicubic)
                                     : resize_with_alpha(im, t.width, t.height);
  Image cropped = crop(resized, clip_crop_offset(resized.width, size), clip_crop_offset(resized.height, size), size, size);
  PixelValues pv;
  pv.height = pv.width = size;
  pv.original_height = im.height;
  pv.original_width = im.width;
  pv.resized_height = resized.height;
  pv.resized_width = resized.width;
  const size_t plane = static_cast<size_t>(size) * static_cast<size_t>(size);
  pv.data.resize(plane * 3);
  for (int c = 0; c < 3; ++c) {
    const float m = static_cast<float>(mean[c]), s = static_cast<float>(std[c]);
    float* out = pv.data.data() + c * plane;
    for (size_t i = 0; i < plane; ++i) out[i] = (static_cast<float>(cropped.pixels[3 * i + c]) / 255.0f - m) / s;
  }
  return pv;
}

}  // namespace argus::image
