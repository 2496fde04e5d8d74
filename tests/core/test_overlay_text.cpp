#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "image/overlay_text.h"
#include "util/error.h"

using namespace argus;
using namespace argus::image;

namespace {

using Rgb = std::array<uint8_t, 3>;

Image filled(int w, int h, uint8_t v) {
  Image img = make_image(w, h);
  std::fill(img.pixels.begin(), img.pixels.end(), v);
  return img;
}

Rgb at(const Image& img, int x, int y) {
  const uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 3];
  return {p[0], p[1], p[2]};
}

int count_color(const Image& img, Rgb c) {
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) n += at(img, x, y) == c;
  return n;
}

const Rgb kInk{255, 0, 0}, kBg{0, 0, 255}, kGrey{100, 100, 100};
const Rgb kBlack{0, 0, 0}, kWhite{255, 255, 255}, kYellow{255, 255, 0};

// One string drawn alone at (0, 0) on a canvas of exactly its size.
Image render(const std::string& text, int scale = 1) {
  const auto [w, h] = text_size(text, scale);
  Image img = filled(w, h, 100);
  draw_text(img, 0, 0, text, kInk, kBg, scale);
  return img;
}

}  // namespace

TEST(OverlayText, SizeOfKnownStrings) {
  // 6 pixels a glyph, less the trailing gap, plus a 1 pixel margin each side; 7 + 2 rows.
  EXPECT_EQ(text_size("a"), std::make_pair(7, 9));
  EXPECT_EQ(text_size("label 0.87"), std::make_pair(61, 9));
  EXPECT_EQ(text_size("label 0.87", 2), std::make_pair(122, 18));
  EXPECT_EQ(text_size("ab", 0), text_size("ab", 1));  // scale below 1 counts as 1
  EXPECT_EQ(text_size(""), std::make_pair(0, 0));
  EXPECT_EQ(text_size(std::string(1000, 'x'), INT_MAX), std::make_pair(INT_MAX, INT_MAX));
}

TEST(OverlayText, DrawsBackgroundAndInkInsideItsRectangleOnly) {
  Image img = filled(30, 20, 100);
  draw_text(img, 3, 4, "Hi", kInk, kBg);  // covers columns 3..15, rows 4..12
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 30; ++x) {
      const bool inside = x >= 3 && x < 16 && y >= 4 && y < 13;
      const Rgb p = at(img, x, y);
      if (!inside) {
        EXPECT_EQ(p, kGrey) << x << "," << y;
      } else {
        EXPECT_TRUE(p == kInk || p == kBg) << x << "," << y;
      }
    }
  // Margin and the gap column between the glyphs are background.
  for (int x = 3; x < 16; ++x) {
    EXPECT_EQ(at(img, x, 4), kBg);
    EXPECT_EQ(at(img, x, 12), kBg);
  }
  for (int y = 4; y < 13; ++y) {
    EXPECT_EQ(at(img, 3, y), kBg);
    EXPECT_EQ(at(img, 9, y), kBg);
    EXPECT_EQ(at(img, 15, y), kBg);
  }
  // 'H': both sides of every row plus the bar; 'i': dot, stem and foot.
  EXPECT_EQ(at(img, 4, 5), kInk);   // H top left
  EXPECT_EQ(at(img, 6, 8), kInk);   // H bar, middle
  EXPECT_EQ(at(img, 6, 7), kBg);    // above the bar
  EXPECT_EQ(at(img, 12, 5), kInk);  // dot of the i
  EXPECT_EQ(at(img, 12, 6), kBg);   // gap under the dot
  EXPECT_EQ(count_color(img, kInk), 17 + 9);
}

TEST(OverlayText, GlyphStrokesWhereExpected) {
  // The middle column (x = margin + 2) of 'I' and '|' is inked on every row.
  for (const char* s : {"I", "|"}) {
    Image img = render(s);
    for (int y = 1; y <= 7; ++y) EXPECT_EQ(at(img, 3, y), kInk) << s << " row " << y;
  }
  EXPECT_EQ(count_color(render("|"), kInk), 7);
  // A space is all background.
  Image space = render("  ");
  EXPECT_EQ(count_color(space, kBg), 13 * 9);
  // Every printable glyph is distinct and all but the space have ink.
  std::set<std::vector<uint8_t>> seen;
  for (int c = 32; c <= 126; ++c) {
    Image g = render(std::string(1, static_cast<char>(c)));
    EXPECT_EQ(count_color(g, kInk) > 0, c != ' ') << c;
    seen.insert(g.pixels);
  }
  EXPECT_EQ(seen.size(), 95u);
}

TEST(OverlayText, ScaleEnlargesEveryFontPixel) {
  Image img = render("|", 3);
  EXPECT_EQ(img.width, 21);
  EXPECT_EQ(img.height, 27);
  EXPECT_EQ(count_color(img, kInk), 7 * 9);
  // The stroke is font column 2: pixels 3 + 6 .. 3 + 8, rows 3 .. 23.
  for (int y = 3; y < 24; ++y)
    for (int x = 0; x < 21; ++x) EXPECT_EQ(at(img, x, y) == kInk, x >= 9 && x < 12) << x << "," << y;
  // Downscaled back by sampling one pixel per block, it is the scale-1 rendering.
  Image one = render("Ag", 1), three = render("Ag", 3);
  for (int y = 0; y < one.height; ++y)
    for (int x = 0; x < one.width; ++x) EXPECT_EQ(at(one, x, y), at(three, 3 * x + 1, 3 * y + 1));
}

TEST(OverlayText, NonAsciiDrawsAsQuestionMark) {
  EXPECT_EQ(render("\xC3\xA9").pixels, render("??").pixels);  // each UTF-8 byte
  EXPECT_EQ(render("\n").pixels, render("?").pixels);
  EXPECT_EQ(render("\x7f").pixels, render("?").pixels);
  EXPECT_EQ(render(std::string(1, '\0')).pixels, render("?").pixels);
  EXPECT_NE(render("!").pixels, render("?").pixels);
}

TEST(OverlayText, ClipsToTheImage) {
  // Reference: the text drawn whole at (10, 10) on a big canvas. Drawn at (dx, dy) on
  // a small one, each pixel must match the reference at the same offset into the
  // text, and pixels the text does not cover stay untouched.
  const std::string text = "Ab|9";
  const auto [w, h] = text_size(text, 2);
  Image big = filled(w + 20, h + 20, 100);
  draw_text(big, 10, 10, text, kInk, kBg, 2);
  for (int dy : {-20, -7, -1, 0, 3, 9, 12}) {
    for (int dx : {-60, -13, -2, 0, 5, 11, 12}) {
      Image small = filled(12, 10, 100);
      draw_text(small, dx, dy, text, kInk, kBg, 2);
      for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 12; ++x) {
          const int tx = x - dx, ty = y - dy;
          const bool covered = tx >= 0 && tx < w && ty >= 0 && ty < h;
          EXPECT_EQ(at(small, x, y), covered ? at(big, tx + 10, ty + 10) : kGrey)
              << "at " << dx << "," << dy << " pixel " << x << "," << y;
        }
    }
  }
  // Extreme positions and scales must neither crash nor draw.
  Image img = filled(8, 8, 100);
  for (int p : {INT_MIN, INT_MIN / 2, -1000, 8, 1000, INT_MAX})
    for (int s : {1, 5, 1 << 20, INT_MAX}) {
      draw_text(img, p, 0, text, kInk, kBg, s);
      draw_text(img, 0, p, text, kInk, kBg, s);
      draw_text(img, p, p, text, kInk, kBg, s);
    }
  EXPECT_EQ(count_color(img, kGrey), 8 * 8 - count_color(img, kInk) - count_color(img, kBg));
  Image untouched = filled(8, 8, 100);
  draw_text(untouched, INT_MAX, INT_MAX, text, kInk, kBg, INT_MAX);
  draw_text(untouched, INT_MIN, 2, text, kInk, kBg, 3);
  draw_text(untouched, 2, INT_MIN, text, kInk, kBg, 3);
  EXPECT_EQ(count_color(untouched, kGrey), 64);
  // A huge scale at (0, 0) covers the whole canvas with margin background.
  Image margin = filled(8, 8, 100);
  draw_text(margin, 0, 0, text, kInk, kBg, 1 << 20);
  EXPECT_EQ(count_color(margin, kBg), 64);
  // A long string far to the left shows only its last glyphs.
  Image tail = filled(20, 9, 100);
  const std::string many(1'000'000, 'W');
  draw_text(tail, 20 - text_size(many).first, 0, many, kInk, kBg);
  Image ref = filled(20, 9, 100);
  draw_text(ref, 20 - text_size("WWWW").first, 0, "WWWW", kInk, kBg);
  EXPECT_EQ(tail.pixels, ref.pixels);
  // A zero-sized image and a mismatched buffer.
  Image empty;
  draw_text(empty, 0, 0, text, kInk, kBg);
  Image bad = filled(4, 4, 0);
  bad.pixels.pop_back();
  EXPECT_THROW(draw_text(bad, 0, 0, "a", kInk, kBg), Error);
  EXPECT_THROW(draw_box_label(bad, 0, 0, "a", kInk, 1), Error);
}

TEST(OverlayText, BoxLabelSitsAboveTheBoxWhenThereIsRoom) {
  Image img = filled(60, 60, 100);
  draw_box_label(img, 10.6f, 20.3f, "a", kYellow, 1);  // box corner pixel (10, 20)
  // Tag 7x9: columns 10..16, rows 11..19, its bottom row touching the box's top row.
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 60; ++x) {
      const bool tag = x >= 10 && x < 17 && y >= 11 && y < 20;
      const Rgb p = at(img, x, y);
      if (tag) {
        EXPECT_TRUE(p == kYellow || p == kBlack) << x << "," << y;
      } else {
        EXPECT_EQ(p, kGrey) << x << "," << y;
      }
    }
  EXPECT_EQ(at(img, 10, 11), kYellow);
  EXPECT_EQ(at(img, 16, 19), kYellow);
  EXPECT_EQ(count_color(img, kBlack), 14);  // the ink of 'a'
}

TEST(OverlayText, BoxLabelGoesInsideWithoutRoomAbove) {
  for (float y0 : {0.f, 5.f, 8.99f, -30.f}) {
    Image img = filled(40, 40, 100);
    draw_box_label(img, 10, y0, "a", kYellow, 1);
    const int top = std::max(static_cast<int>(y0), 0);
    EXPECT_EQ(at(img, 10, top), kYellow) << y0;
    EXPECT_EQ(at(img, 16, top + 8), kYellow) << y0;
    EXPECT_EQ(at(img, 10, top + 9), kGrey) << y0;
    if (top > 0) {
      EXPECT_EQ(at(img, 10, top - 1), kGrey) << y0;
    }
    EXPECT_EQ(count_color(img, kYellow) + count_color(img, kBlack), 7 * 9) << y0;
  }
  // y0 = 9 leaves exactly the tag's height above: rows 0..8.
  Image img = filled(40, 40, 100);
  draw_box_label(img, 10, 9, "a", kYellow, 1);
  EXPECT_EQ(at(img, 10, 0), kYellow);
  EXPECT_EQ(at(img, 10, 9), kGrey);
}

TEST(OverlayText, BoxLabelStaysInsideTheImageHorizontally) {
  Image right = filled(40, 40, 100);
  draw_box_label(right, 37, 20, "ab", kYellow, 1);  // 13 wide: shifted to columns 27..39
  EXPECT_EQ(at(right, 39, 19), kYellow);
  EXPECT_EQ(at(right, 27, 19), kYellow);
  EXPECT_EQ(at(right, 26, 19), kGrey);
  Image left = filled(40, 40, 100);
  draw_box_label(left, -5.5f, 20, "ab", kYellow, 1);  // starts at column 0
  EXPECT_EQ(at(left, 0, 19), kYellow);
  EXPECT_EQ(at(left, 12, 19), kYellow);
  EXPECT_EQ(at(left, 13, 19), kGrey);
  // A corner beyond the right or bottom edge, NaN and huge values.
  Image none = filled(40, 40, 100);
  draw_box_label(none, 40, 20, "ab", kYellow, 1);
  draw_box_label(none, 10, 40, "ab", kYellow, 1);
  draw_box_label(none, 1e30f, 1e30f, "ab", kYellow, 1);
  draw_box_label(none, 10, 20, "", kYellow, 1);
  EXPECT_EQ(count_color(none, kGrey), 1600);
  draw_box_label(none, std::nanf(""), std::nanf(""), "ab", kYellow, 1);
  draw_box_label(none, -1e30f, -1e30f, "ab", kYellow, INT_MAX);  // must not crash
}

TEST(OverlayText, BoxLabelTextContrastsWithTheTag) {
  struct Case {
    Rgb tag, ink;
  };
  for (const Case& c : {Case{kYellow, kBlack}, Case{kWhite, kBlack}, Case{{0, 0, 255}, kWhite},
                        Case{kBlack, kWhite}, Case{{0, 100, 0}, kWhite},
                        Case{{255, 215, 0}, kBlack}}) {
    Image img = filled(30, 30, 100);
    draw_box_label(img, 5, 15, "a", c.tag, 1);
    EXPECT_EQ(count_color(img, c.ink), 14) << int(c.tag[0]) << "," << int(c.tag[1]) << ","
                                           << int(c.tag[2]);
    EXPECT_EQ(count_color(img, c.tag), 7 * 9 - 14);
  }
}
