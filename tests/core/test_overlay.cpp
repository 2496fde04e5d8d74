#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <vector>

#include "image/overlay.h"
#include "util/error.h"

using namespace argus;
using namespace argus::image;

namespace {

Image filled(int w, int h, uint8_t v) {
  Image img = make_image(w, h);
  std::fill(img.pixels.begin(), img.pixels.end(), v);
  return img;
}

std::array<uint8_t, 3> at(const Image& img, int x, int y) {
  const uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 3];
  return {p[0], p[1], p[2]};
}

int count_color(const Image& img, std::array<uint8_t, 3> c) {
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) n += at(img, x, y) == c;
  return n;
}

const std::array<uint8_t, 3> kRed{255, 0, 0};

}  // namespace

TEST(Overlay, MaskBlendsOnlyForegroundPixels) {
  Image img = filled(4, 3, 100);
  std::vector<uint8_t> mask(12, 0);
  mask[1 * 4 + 2] = 1;    // (x=2, y=1)
  mask[2 * 4 + 0] = 255;  // any non-zero byte is foreground
  draw_mask(img, mask.data(), 3, 4, {200, 0, 50}, 0.5f);
  // 0.5 * 100 + 0.5 * 200 = 150; 0.5 * 100 + 0.5 * 0 = 50; 0.5 * 100 + 0.5 * 50 = 75.
  EXPECT_EQ(at(img, 2, 1), (std::array<uint8_t, 3>{150, 50, 75}));
  EXPECT_EQ(at(img, 0, 2), (std::array<uint8_t, 3>{150, 50, 75}));
  EXPECT_EQ(at(img, 0, 0), (std::array<uint8_t, 3>{100, 100, 100}));
  EXPECT_EQ(count_color(img, {100, 100, 100}), 10);
}

TEST(Overlay, MaskAlphaIsClampedAndSizeChecked) {
  Image img = filled(2, 2, 10);
  std::vector<uint8_t> mask(4, 1);
  draw_mask(img, mask.data(), 2, 2, kRed, 7.f);  // clamps to 1: pure colour
  EXPECT_EQ(count_color(img, kRed), 4);
  draw_mask(img, mask.data(), 2, 2, {0, 0, 0}, -1.f);  // clamps to 0: unchanged
  EXPECT_EQ(count_color(img, kRed), 4);
  EXPECT_THROW(draw_mask(img, mask.data(), 1, 4, kRed, 0.5f), Error);
}

TEST(Overlay, BoxOutlineHasRequestedThickness) {
  Image img = filled(20, 20, 0);
  draw_box(img, 2, 3, 12, 10, kRed, 2);
  // Corners inclusive: columns 2..12, rows 3..10 → an 11x8 outline two pixels wide.
  EXPECT_EQ(at(img, 2, 3), kRed);
  EXPECT_EQ(at(img, 12, 10), kRed);
  EXPECT_EQ(at(img, 3, 4), kRed);                                  // second ring
  EXPECT_EQ(at(img, 4, 5), (std::array<uint8_t, 3>{0, 0, 0}));     // inside
  EXPECT_EQ(at(img, 13, 10), (std::array<uint8_t, 3>{0, 0, 0}));   // outside
  EXPECT_EQ(at(img, 1, 3), (std::array<uint8_t, 3>{0, 0, 0}));
  EXPECT_EQ(count_color(img, kRed), 11 * 8 - 7 * 4);
  // Swapped corners draw the same box.
  Image swapped = filled(20, 20, 0);
  draw_box(swapped, 12, 10, 2, 3, kRed, 2);
  EXPECT_EQ(swapped.pixels, img.pixels);
}

TEST(Overlay, BoxThickerThanItselfIsFilledNotOverrun) {
  Image img = filled(10, 10, 0);
  draw_box(img, 1, 1, 3, 3, kRed, 5);
  EXPECT_EQ(count_color(img, kRed), 9);
}

TEST(Overlay, ShapesClipToTheImage) {
  Image img = filled(8, 8, 0);
  draw_box(img, -5, -5, 100, 100, kRed, 1);  // every edge outside: nothing visible
  EXPECT_EQ(count_color(img, kRed), 0);
  draw_box(img, -5, 2, 4, 1e30f, kRed, 1);  // right edge at x = 4 and the top row visible
  EXPECT_EQ(at(img, 4, 5), kRed);
  EXPECT_EQ(at(img, 0, 2), kRed);
  draw_point(img, 1e9f, -1e9f, kRed, 3);
  draw_point(img, std::nanf(""), 2, kRed, 3);
  draw_box(img, std::nanf(""), 0, 3, 3, kRed, 1);  // must not crash
  Image corner = filled(8, 8, 0);
  draw_point(corner, 0, 0, kRed, 2);  // a quarter disc: (0,0),(1,0),(2,0),(0,1),(1,1),(0,2)
  EXPECT_EQ(count_color(corner, kRed), 6);
}

TEST(Overlay, PointIsADiscOfTheRadius) {
  Image img = filled(11, 11, 0);
  draw_point(img, 5.5f, 5.2f, kRed, 2);  // centre pixel (5, 5)
  EXPECT_EQ(count_color(img, kRed), 13);  // lattice points with dx²+dy² ≤ 4
  EXPECT_EQ(at(img, 5, 3), kRed);
  EXPECT_EQ(at(img, 7, 5), kRed);
  EXPECT_EQ(at(img, 7, 7), (std::array<uint8_t, 3>{0, 0, 0}));
  Image one = filled(3, 3, 0);
  draw_point(one, 1, 1, kRed, 0);
  EXPECT_EQ(count_color(one, kRed), 1);
}

TEST(Overlay, PaletteIsDistinctAndTotal) {
  std::set<std::array<uint8_t, 3>> seen;
  for (int i = 0; i < 10; ++i) seen.insert(palette(i));
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(palette(-1), palette(-1 + 1200));
  EXPECT_EQ(palette(3), palette(3 + 12));
  palette(std::numeric_limits<int>::min());  // any int is valid
}
