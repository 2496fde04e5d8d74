#include "image/overlay.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace argus::image {

namespace {

void check_image(const Image& img, const char* what) {
  if (img.width < 0 || img.height < 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3)
    fail("{}: image buffer does not match its size {}x{}", what, img.width, img.height);
}

// Paints the pixel rectangle [x0, x1) x [y0, y1) after clipping it to the image.
void fill_rect(Image& img, long x0, long y0, long x1, long y1, const std::array<uint8_t, 3>& c) {
  x0 = std::max(x0, 0L);
  y0 = std::max(y0, 0L);
  x1 = std::min(x1, static_cast<long>(img.width));
  y1 = std::min(y1, static_cast<long>(img.height));
  for (long y = y0; y < y1; ++y)
    for (long x = x0; x < x1; ++x) {
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 3];
      p[0] = c[0], p[1] = c[1], p[2] = c[2];
    }
}

// Float pixel coordinates far outside the image (or NaN) are clamped before the
// conversion to an integer, which would otherwise be undefined behaviour.
long to_pixel(float v, long lo, long hi) {
  if (std::isnan(v)) return lo;
  double r = std::floor(static_cast<double>(v));
  return static_cast<long>(std::clamp(r, static_cast<double>(lo), static_cast<double>(hi)));
}

}  // namespace

void draw_mask(Image& img, const uint8_t* mask, int h, int w, std::array<uint8_t, 3> color,
               float alpha) {
  check_image(img, "draw_mask");
  if (h != img.height || w != img.width)
    fail("draw_mask: mask is {}x{} but the image is {}x{}", w, h, img.width, img.height);
  if (std::isnan(alpha)) alpha = 0.f;
  const float a = std::clamp(alpha, 0.f, 1.f);
  const size_t n = static_cast<size_t>(h) * w;
  for (size_t i = 0; i < n; ++i) {
    if (!mask[i]) continue;
    uint8_t* p = &img.pixels[i * 3];
    for (int c = 0; c < 3; ++c)
      p[c] = static_cast<uint8_t>(std::lround((1.f - a) * p[c] + a * color[c]));
  }
}

void draw_box(Image& img, float x0, float y0, float x1, float y1, std::array<uint8_t, 3> color,
              int thickness) {
  check_image(img, "draw_box");
  if (thickness <= 0 || img.width == 0 || img.height == 0) return;
  // Margins of a thickness beyond the image keep clipped edges out of view instead of
  // piling them up on the border.
  const long mx = img.width + thickness, my = img.height + thickness;
  long l = to_pixel(std::min(x0, x1), -thickness, mx), r = to_pixel(std::max(x0, x1), -thickness, mx);
  long t = to_pixel(std::min(y0, y1), -thickness, my), b = to_pixel(std::max(y0, y1), -thickness, my);
  const long tk = thickness;
  // Inclusive corners: the outline covers columns l..r and rows t..b.
  fill_rect(img, l, t, r + 1, std::min(t + tk, b + 1), color);          // top
  fill_rect(img, l, std::max(b + 1 - tk, t), r + 1, b + 1, color);      // bottom
  fill_rect(img, l, t, std::min(l + tk, r + 1), b + 1, color);          // left
  fill_rect(img, std::max(r + 1 - tk, l), t, r + 1, b + 1, color);      // right
}

void draw_point(Image& img, float x, float y, std::array<uint8_t, 3> color, int radius) {
  check_image(img, "draw_point");
  if (radius < 0 || std::isnan(x) || std::isnan(y)) return;
  const long cx = to_pixel(x, -radius - 1L, img.width + radius + 1L);
  const long cy = to_pixel(y, -radius - 1L, img.height + radius + 1L);
  const long r = radius, r2 = r * r;
  // Only the rows of the disc inside the image are visited; each is one clipped span.
  for (long py = std::max(cy - r, 0L); py <= std::min(cy + r, img.height - 1L); ++py) {
    const long dy = py - cy;
    const long half = static_cast<long>(std::floor(std::sqrt(static_cast<double>(r2 - dy * dy))));
    fill_rect(img, cx - half, py, cx + half + 1, py + 1, color);
  }
}

std::array<uint8_t, 3> palette(int i) {
  // Tableau-like qualitative colours: neighbours differ in hue and stay readable
  // over photos at the usual overlay alpha.
  static constexpr std::array<std::array<uint8_t, 3>, 12> kColors = {{
      {31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40},
      {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {23, 190, 207},
      {188, 189, 34}, {255, 215, 0}, {0, 128, 128}, {127, 127, 127},
  }};
  const long n = static_cast<long>(kColors.size());
  return kColors[static_cast<size_t>(((static_cast<long>(i) % n) + n) % n)];
}

}  // namespace argus::image
