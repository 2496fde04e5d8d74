#include "image/geometry.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"

namespace argus::image {

namespace {

void check(const Image& im, const char* what) {
  if (im.width <= 0 || im.height <= 0 ||
      im.pixels.size() != static_cast<size_t>(im.width) * static_cast<size_t>(im.height) * 3)
    fail("{}: invalid {}x{} image holding {} bytes", what, im.width, im.height, im.pixels.size());
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Copies src into dst at (x0, y0), clipping to dst.
void paste(const Image& src, Image& dst, int64_t x0, int64_t y0) {
  const int64_t xa = std::max<int64_t>(0, x0), xb = std::min<int64_t>(dst.width, x0 + src.width);
  const int64_t ya = std::max<int64_t>(0, y0), yb = std::min<int64_t>(dst.height, y0 + src.height);
  if (xa >= xb || ya >= yb) return;
  for (int64_t y = ya; y < yb; ++y)
    std::memcpy(dst.pixels.data() + (static_cast<size_t>(y) * dst.width + xa) * 3,
                src.pixels.data() + (static_cast<size_t>(y - y0) * src.width + (xa - x0)) * 3,
                static_cast<size_t>(xb - xa) * 3);
}

Image filled(int width, int height, Rgb fill) {
  Image im = make_image(width, height);
  if (fill[0] || fill[1] || fill[2])
    for (size_t i = 0; i < im.pixels.size(); i += 3) std::memcpy(&im.pixels[i], fill.data(), 3);
  return im;
}

}  // namespace

Image crop(const Image& src, int left, int top, int width, int height) {
  check(src, "crop");
  if (width <= 0 || height <= 0 || left < 0 || top < 0 || int64_t{left} + width > src.width ||
      int64_t{top} + height > src.height)
    fail("crop ({}, {}) {}x{} does not fit in a {}x{} image", left, top, width, height, src.width, src.height);
  Image out = make_image(width, height);
  paste(src, out, -int64_t{left}, -int64_t{top});
  return out;
}

Image pad(const Image& src, int top, int bottom, int left, int right, Rgb fill) {
  check(src, "pad");
  if (top < 0 || bottom < 0 || left < 0 || right < 0) fail("pad: negative border");
  const int64_t w = int64_t{src.width} + left + right, h = int64_t{src.height} + top + bottom;
  if (w > INT32_MAX || h > INT32_MAX || w * h > (int64_t{1} << 31)) fail("pad: result {}x{} is too large", w, h);
  Image out = filled(static_cast<int>(w), static_cast<int>(h), fill);
  paste(src, out, left, top);
  return out;
}

Image center_crop(const Image& src, int crop_height, int crop_width) {
  check(src, "center_crop");
  if (crop_height <= 0 || crop_width <= 0) fail("center_crop: invalid crop size {}x{}", crop_height, crop_width);
  const int64_t h = src.height, w = src.width;
  int64_t top = floor_div(h - crop_height, 2), left = floor_div(w - crop_width, 2);
  if (top >= 0 && left >= 0 && top + crop_height <= h && left + crop_width <= w)
    return crop(src, static_cast<int>(left), static_cast<int>(top), crop_width, crop_height);
  // Too small: transformers zero-pads to max(crop, size) with the image at
  // ceil(extra / 2), then cuts the crop window out of that.
  const int64_t nh = std::max<int64_t>(crop_height, h), nw = std::max<int64_t>(crop_width, w);
  const int64_t top_pad = (nh - h + 1) / 2, left_pad = (nw - w + 1) / 2;
  top += top_pad;
  left += left_pad;
  Image out = make_image(crop_width, crop_height);
  paste(src, out, left_pad - left, top_pad - top);
  return out;
}

Image expand_to_square(const Image& src, Rgb fill) {
  check(src, "expand_to_square");
  if (src.width == src.height) return src;
  const int side = std::max(src.width, src.height);
  Image out = filled(side, side, fill);
  if (src.width > src.height)
    paste(src, out, 0, (src.width - src.height) / 2);
  else
    paste(src, out, (src.height - src.width) / 2, 0);
  return out;
}

Rgb mean_color(const std::array<double, 3>& mean) {
  Rgb c{};
  for (int i = 0; i < 3; ++i) {
    const double v = mean[i] * 255.0;
    c[i] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : static_cast<int>(v));
  }
  return c;
}

}  // namespace argus::image
