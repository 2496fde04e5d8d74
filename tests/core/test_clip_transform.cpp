// open_clip's transform on images with alpha: resize and crop the RGBA image (PIL
// premultiplies while resampling), convert to RGB only after. The expected bytes were
// computed with Debian 12's Pillow 9.4 (/usr/bin/python3):
//   im.resize((4, 3), Image.BICUBIC).crop((0, 0, 3, 3)).convert("RGB")
// for the 7x5 RGBA image built by rgba_image() below.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "image/clip_transform.h"
#include "util/error.h"

using namespace argus;
using namespace argus::image;

namespace {

// Opaque reds on the left, a half-transparent blue column, a nearly transparent and
// then fully transparent green on the right: colour that only the old order (RGB first)
// lets leak into the opaque side.
Image rgba_image() {
  Image im;
  im.width = 7;
  im.height = 5;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      std::array<int, 4> p;
      if (x < 3) p = {200 + 10 * y, 30 * x, 20, 255};
      else if (x == 3) p = {40, 90, 250, 128};
      else if (x == 4) p = {0, 255, 0, 10};
      else p = {0, 255, 60 * y % 256, 0};
      for (int c = 0; c < 3; ++c) im.pixels.push_back(static_cast<uint8_t>(p[c]));
      im.alpha.push_back(static_cast<uint8_t>(p[3]));
    }
  return im;
}

// With mean 0 and std 1 the transform's values are u8 / 255: back to bytes, HWC.
std::vector<int> bytes_of(const PixelValues& pv) {
  const size_t plane = static_cast<size_t>(pv.height) * static_cast<size_t>(pv.width);
  std::vector<int> out(plane * 3);
  for (size_t i = 0; i < plane; ++i)
    for (size_t c = 0; c < 3; ++c) out[3 * i + c] = static_cast<int>(std::lround(pv.data[c * plane + i] * 255.0f));
  return out;
}

const std::array<double, 3> kZero{0, 0, 0}, kOne{1, 1, 1};

}  // namespace

TEST(ClipTransformAlpha, ResizesPremultipliedRgbaThenDropsAlpha) {
  const PixelValues pv = clip_transform(rgba_image(), 3, kZero, kOne);
  ASSERT_EQ(pv.height, 3);
  ASSERT_EQ(pv.resized_width, 4);
  const std::vector<int> pillow = {211, 14, 16, 173, 61, 61, 0, 127, 255, 228, 14, 16, 188, 61,
                                   61,  0,  127, 255, 244, 14, 16, 201, 61, 61, 0, 127, 255};
  EXPECT_EQ(bytes_of(pv), pillow);
}

TEST(ClipTransformAlpha, TheOldOrderGivesOtherColours) {
  // The same pixels without their alpha are what converting to RGB first resizes; Pillow
  // gives these there (the transparent green bleeds in), which must not be our answer.
  Image rgb = rgba_image();
  rgb.alpha.clear();
  const std::vector<int> pillow_rgb_first = {210, 12, 11, 160, 58, 93, 5, 211, 82, 227, 12, 11, 172, 58,
                                             91,  4,  211, 98, 244, 12, 11, 184, 58, 88, 3, 211, 115};
  EXPECT_EQ(bytes_of(clip_transform(rgb, 3, kZero, kOne)), pillow_rgb_first);
  EXPECT_NE(bytes_of(clip_transform(rgba_image(), 3, kZero, kOne)), pillow_rgb_first);
}

TEST(ClipTransformAlpha, AnImageAlreadyAtSizeKeepsItsStoredColours) {
  // torchvision does not resize it, so convert("RGB") just drops the alpha.
  Image im;
  im.width = im.height = 2;
  im.pixels = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120};
  im.alpha = {0, 1, 128, 255};
  std::vector<int> expected(im.pixels.begin(), im.pixels.end());
  EXPECT_EQ(bytes_of(clip_transform(im, 2, kZero, kOne)), expected);
}

TEST(ClipTransformAlpha, AMisSizedAlphaPlaneIsAnError) {
  Image im = rgba_image();
  im.alpha.pop_back();
  EXPECT_THROW(clip_transform(im, 3, kZero, kOne), Error);
}
