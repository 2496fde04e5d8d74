// Resampling against values computed independently here (constant images, exact
// 2x box averages, filter weights worked out by hand, nearest index mapping),
// plus crop/pad geometry.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "image/geometry.h"
#include "image/resample.h"
#include "util/error.h"

using namespace argus;
using namespace argus::image;

namespace {

const Filter kAll[] = {Filter::Nearest, Filter::Bilinear, Filter::Bicubic,
                       Filter::Lanczos, Filter::Box,      Filter::Hamming};

Image pattern(int w, int h, uint32_t seed = 1) {
  Image im;
  im.width = w;
  im.height = h;
  im.pixels.resize(size_t(w) * h * 3);
  for (auto& p : im.pixels) p = uint8_t((seed = seed * 1103515245u + 12345u) >> 16);
  return im;
}

uint8_t at(const Image& im, int x, int y, int c) { return im.pixels[(size_t(y) * im.width + x) * 3 + c]; }

}  // namespace

TEST(ImageResample, FilterCodesFollowPil) {
  EXPECT_EQ(filter_from_pil(0), Filter::Nearest);
  EXPECT_EQ(filter_from_pil(1), Filter::Lanczos);
  EXPECT_EQ(filter_from_pil(2), Filter::Bilinear);
  EXPECT_EQ(filter_from_pil(3), Filter::Bicubic);
  EXPECT_EQ(filter_from_pil(4), Filter::Box);
  EXPECT_EQ(filter_from_pil(5), Filter::Hamming);
  EXPECT_THROW(filter_from_pil(6), Error);
  EXPECT_THROW(filter_from_pil(-1), Error);
}

TEST(ImageResample, ConstantImageStaysConstant) {
  for (Filter f : kAll) {
    for (auto [w, h, ow, oh] : std::vector<std::array<int, 4>>{{37, 23, 224, 224}, {800, 534, 335, 224}, {5, 7, 3, 2}, {1, 1, 9, 4}}) {
      Image im;
      im.width = w;
      im.height = h;
      for (int i = 0; i < w * h; ++i) im.pixels.insert(im.pixels.end(), {200, 17, 0});
      const Image out = resize(im, ow, oh, f);
      ASSERT_EQ(out.width, ow);
      ASSERT_EQ(out.height, oh);
      for (size_t i = 0; i < out.pixels.size(); i += 3) {
        ASSERT_EQ(out.pixels[i], 200) << filter_name(f) << " " << w << "x" << h << "->" << ow << "x" << oh;
        ASSERT_EQ(out.pixels[i + 1], 17);
        ASSERT_EQ(out.pixels[i + 2], 0);
      }
    }
  }
}

TEST(ImageResample, SameSizeIsIdentity) {
  const Image im = pattern(13, 9);
  for (Filter f : kAll) EXPECT_EQ(resize(im, 13, 9, f).pixels, im.pixels) << filter_name(f);
}

// Box 2x: each output averages a 2x2 block, horizontally first. Weights are exactly
// 1/2 in 22-bit fixed point, so each pass gives floor((a + b + 1) / 2).
TEST(ImageResample, BoxHalvingAveragesBlocksWithRoundHalfUp) {
  const Image im = pattern(10, 6, 7);
  const Image out = resize(im, 5, 3, Filter::Box);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 5; ++x)
      for (int c = 0; c < 3; ++c) {
        const int top = (at(im, 2 * x, 2 * y, c) + at(im, 2 * x + 1, 2 * y, c) + 1) / 2;
        const int bottom = (at(im, 2 * x, 2 * y + 1, c) + at(im, 2 * x + 1, 2 * y + 1, c) + 1) / 2;
        ASSERT_EQ(at(out, x, y, c), (top + bottom + 1) / 2) << x << "," << y << "," << c;
      }
}

// Bilinear 2x down (support widened to 2): interior taps 1,3,3,1 / 8 over
// x = 2i-1 .. 2i+2; at the left edge the window is clipped to 3,3,1 / 7.
// Rows are constant so only the horizontal pass acts; float reference, +-0.5 rounding.
TEST(ImageResample, BilinearHalvingUsesWidenedTriangle) {
  const int w = 12;
  Image im;
  im.width = w;
  im.height = 2;
  const std::vector<int> row = {0, 255, 10, 200, 30, 90, 255, 255, 0, 0, 128, 64};
  for (int y = 0; y < 2; ++y)
    for (int v : row) im.pixels.insert(im.pixels.end(), {uint8_t(v), uint8_t(255 - v), uint8_t(v / 2)});
  const Image out = resize(im, w / 2, 2, Filter::Bilinear);
  for (int i = 0; i < w / 2; ++i) {
    double num = 0, den = 0;
    const double taps[4] = {1, 3, 3, 1};
    for (int t = 0; t < 4; ++t) {
      const int x = 2 * i - 1 + t;
      if (x < 0 || x >= w) continue;
      num += taps[t] * row[x];
      den += taps[t];
    }
    const double expect = num / den;
    EXPECT_NEAR(at(out, i, 0, 0), expect, 0.5 + 1e-9) << i;
    EXPECT_NEAR(at(out, i, 1, 0), expect, 0.5 + 1e-9) << i;
    EXPECT_EQ(at(out, i, 0, 0), int(std::floor(expect + 0.5))) << i;  // fixed point keeps it exact here
  }
}

// Bicubic (a = -0.5) upscaling by 2 samples at offsets +-0.25 / +-0.75: weights
// -0.0703125, 0.8671875, 0.2265625, -0.0234375 (for the point 1/4 past a sample).
TEST(ImageResample, BicubicDoublingMatchesKeysWeights) {
  const std::vector<int> row = {10, 50, 200, 90, 90, 250, 0, 30};
  const int w = int(row.size());
  Image im;
  im.width = w;
  im.height = 1;
  for (int v : row) im.pixels.insert(im.pixels.end(), {uint8_t(v), uint8_t(v), uint8_t(v)});
  const Image out = resize(im, 2 * w, 1, Filter::Bicubic);
  auto keys = [](double x) {
    x = std::fabs(x);
    if (x < 1) return (1.5 * x - 2.5) * x * x + 1;
    if (x < 2) return ((-0.5 * x + 2.5) * x - 4) * x + 2;
    return 0.0;
  };
  for (int o = 0; o < 2 * w; ++o) {
    const double center = (o + 0.5) / 2.0;
    double num = 0, den = 0;
    for (int x = 0; x < w; ++x) {
      const double wgt = keys(x + 0.5 - center);
      num += wgt * row[x];
      den += wgt;
    }
    const double expect = std::min(255.0, std::max(0.0, num / den));
    EXPECT_NEAR(at(out, o, 0, 0), expect, 0.5 + 1e-6) << o;
  }
}

// PIL's nearest: source = floor((i + 0.5) * in / out).
TEST(ImageResample, NearestPicksPixelCentres) {
  const Image im = pattern(6, 4, 3);
  const Image up = resize(im, 12, 8, Filter::Nearest);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 12; ++x)
      for (int c = 0; c < 3; ++c) ASSERT_EQ(at(up, x, y, c), at(im, x / 2, y / 2, c));
  const Image down = resize(im, 3, 2, Filter::Nearest);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c) ASSERT_EQ(at(down, x, y, c), at(im, 2 * x + 1, 2 * y + 1, c));
  const Image third = resize(pattern(9, 1, 5), 3, 1, Filter::Nearest);
  const Image src = pattern(9, 1, 5);
  for (int x = 0; x < 3; ++x) EXPECT_EQ(at(third, x, 0, 0), at(src, 3 * x + 1, 0, 0));
}

// Only the axis whose size changes is filtered: a width-only resize of an image
// whose rows are constant keeps each row's value.
TEST(ImageResample, SinglePassKeepsTheOtherAxis) {
  Image im;
  im.width = 9;
  im.height = 5;
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 9; ++x) im.pixels.insert(im.pixels.end(), {uint8_t(40 * y), uint8_t(7 * y), 255});
  for (Filter f : kAll) {
    const Image out = resize(im, 4, 5, f);
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 4; ++x) ASSERT_EQ(at(out, x, y, 0), 40 * y) << filter_name(f);
  }
}

TEST(ImageResample, ClampsOvershootToByteRange) {
  Image im;
  im.width = 8;
  im.height = 1;
  for (int x = 0; x < 8; ++x) {
    const uint8_t v = x < 4 ? 0 : 255;
    im.pixels.insert(im.pixels.end(), {v, v, v});
  }
  for (Filter f : {Filter::Bicubic, Filter::Lanczos}) {
    const Image out = resize(im, 32, 1, f);
    // A step edge rings: the values next to it must clamp, not wrap around.
    EXPECT_EQ(at(out, 0, 0, 0), 0);
    EXPECT_EQ(at(out, 31, 0, 0), 255);
    for (int x = 0; x < 14; ++x) EXPECT_LT(at(out, x, 0, 0), 20) << filter_name(f) << " " << x;
    for (int x = 18; x < 32; ++x) EXPECT_GT(at(out, x, 0, 0), 235) << filter_name(f) << " " << x;
  }
}

TEST(ImageResample, GrayImagesResizeLikeOneChannel) {
  GrayImage g{4, 2, {0, 100, 200, 255, 0, 100, 200, 255}};
  const GrayImage out = resize(g, 2, 1, Filter::Box);
  ASSERT_EQ(out.pixels.size(), 2u);
  EXPECT_EQ(out.pixels[0], 50);   // (0 + 100 + 1) / 2 = 50, then (50 + 50 + 1) / 2
  EXPECT_EQ(out.pixels[1], 228);  // (200 + 255 + 1) / 2 = 228
}

TEST(ImageResample, RejectsBadSizes) {
  const Image im = pattern(4, 4);
  EXPECT_THROW(resize(im, 0, 4, Filter::Bilinear), Error);
  EXPECT_THROW(resize(im, 4, -1, Filter::Nearest), Error);
  EXPECT_THROW(resize(Image{}, 4, 4, Filter::Bicubic), Error);
  Image broken = im;
  broken.pixels.pop_back();
  EXPECT_THROW(resize(broken, 2, 2, Filter::Bicubic), Error);
}

// ------------------------------------------------------------------ geometry

TEST(ImageGeometry, CropCopiesTheRectangleAndChecksBounds) {
  const Image im = pattern(7, 5);
  const Image c = crop(im, 2, 1, 3, 4);
  ASSERT_EQ(c.width, 3);
  ASSERT_EQ(c.height, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 3; ++x) EXPECT_EQ(at(c, x, y, 1), at(im, x + 2, y + 1, 1));
  EXPECT_THROW(crop(im, 5, 0, 3, 1), Error);
  EXPECT_THROW(crop(im, -1, 0, 1, 1), Error);
  EXPECT_THROW(crop(im, 0, 0, 0, 1), Error);
}

TEST(ImageGeometry, PadFillsBorders) {
  const Image im = pattern(2, 2);
  const Image p = pad(im, 1, 0, 2, 1, {9, 8, 7});
  ASSERT_EQ(p.width, 5);
  ASSERT_EQ(p.height, 3);
  EXPECT_EQ(at(p, 0, 0, 0), 9);
  EXPECT_EQ(at(p, 4, 2, 2), 7);
  EXPECT_EQ(at(p, 2, 1, 0), at(im, 0, 0, 0));
  EXPECT_EQ(at(p, 3, 2, 2), at(im, 1, 1, 2));
}

TEST(ImageGeometry, CenterCropUsesFloorOffsets) {
  const Image im = pattern(9, 6);
  const Image c = center_crop(im, 3, 4);  // top = (6-3)//2 = 1, left = (9-4)//2 = 2
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) ASSERT_EQ(at(c, x, y, 0), at(im, x + 2, y + 1, 0));
}

TEST(ImageGeometry, CenterCropPadsSmallImagesWithZeros) {
  // 3x2 image into 6x5: transformers pads by ceil((5-2)/2) = 2 rows on top and
  // ceil((6-3)/2) = 2 columns on the left.
  const Image im = pattern(3, 2);
  const Image c = center_crop(im, 5, 6);
  ASSERT_EQ(c.width, 6);
  ASSERT_EQ(c.height, 5);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 6; ++x) {
      const bool inside = y >= 2 && y < 4 && x >= 2 && x < 5;
      ASSERT_EQ(at(c, x, y, 0), inside ? at(im, x - 2, y - 2, 0) : 0) << x << "," << y;
    }
  // Wider than the crop but shorter: crop columns, pad rows.
  const Image wide = pattern(10, 2);
  const Image d = center_crop(wide, 4, 4);  // left = 3; rows padded by 1 on top
  EXPECT_EQ(at(d, 0, 0, 0), 0);
  EXPECT_EQ(at(d, 0, 1, 0), at(wide, 3, 0, 0));
  EXPECT_EQ(at(d, 3, 2, 1), at(wide, 6, 1, 1));
  EXPECT_EQ(at(d, 3, 3, 1), 0);
}

TEST(ImageGeometry, ExpandToSquareCentresLikeLlava) {
  const Image im = pattern(5, 2);
  const Rgb bg = mean_color({0.48145466, 0.4578275, 0.40821073});
  EXPECT_EQ(bg, (Rgb{122, 116, 104}));
  const Image sq = expand_to_square(im, bg);
  ASSERT_EQ(sq.width, 5);
  ASSERT_EQ(sq.height, 5);
  EXPECT_EQ(at(sq, 0, 0, 0), 122);
  EXPECT_EQ(at(sq, 0, 1, 0), at(im, 0, 0, 0));  // offset (5 - 2) // 2 = 1
  EXPECT_EQ(at(sq, 4, 2, 2), at(im, 4, 1, 2));
  EXPECT_EQ(at(sq, 4, 3, 2), 104);
  const Image tall = expand_to_square(pattern(2, 5), {0, 0, 0});
  EXPECT_EQ(tall.width, 5);
}
