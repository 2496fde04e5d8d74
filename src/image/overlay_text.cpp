#include "image/overlay_text.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "util/error.h"

namespace argus::image {

namespace {

constexpr int kGlyphW = 5, kGlyphH = 7;
constexpr int kAdvance = kGlyphW + 1;  // one blank column between glyphs
constexpr int kMargin = 1;             // background around the text, in font pixels

// ASCII 32..126, one byte per row from the top, bit 4 = leftmost column. Drawn for
// this file: capitals and digits fill the 7 rows, lower case sits in the lower 5 with
// ascenders reaching the top; the cell has no row below the baseline, so g, j, p, q
// and y have their bowls raised and their descenders end on the bottom row.
constexpr uint8_t kFont[95][kGlyphH] = {
    {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000},  // ' '
    {0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00000, 0b00100},  // '!'
    {0b01010, 0b01010, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000},  // '"'
    {0b01010, 0b01010, 0b11111, 0b01010, 0b11111, 0b01010, 0b01010},  // '#'
    {0b00100, 0b01111, 0b10100, 0b01110, 0b00101, 0b11110, 0b00100},  // '$'
    {0b11001, 0b11010, 0b00010, 0b00100, 0b01000, 0b01011, 0b10011},  // '%'
    {0b01100, 0b10010, 0b10100, 0b01000, 0b10101, 0b10010, 0b01101},  // '&'
    {0b00100, 0b00100, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000},  // '\''
    {0b00010, 0b00100, 0b01000, 0b01000, 0b01000, 0b00100, 0b00010},  // '('
    {0b01000, 0b00100, 0b00010, 0b00010, 0b00010, 0b00100, 0b01000},  // ')'
    {0b00000, 0b00100, 0b10101, 0b01110, 0b10101, 0b00100, 0b00000},  // '*'
    {0b00000, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0b00000},  // '+'
    {0b00000, 0b00000, 0b00000, 0b00000, 0b00110, 0b00100, 0b01000},  // ','
    {0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000},  // '-'
    {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100},  // '.'
    {0b00001, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b10000},  // '/'
    {0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110},  // '0'
    {0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110},  // '1'
    {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111},  // '2'
    {0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110},  // '3'
    {0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010},  // '4'
    {0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110},  // '5'
    {0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110},  // '6'
    {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000},  // '7'
    {0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110},  // '8'
    {0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100},  // '9'
    {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000},  // ':'
    {0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b00100, 0b01000},  // ';'
    {0b00010, 0b00100, 0b01000, 0b10000, 0b01000, 0b00100, 0b00010},  // '<'
    {0b00000, 0b00000, 0b11111, 0b00000, 0b11111, 0b00000, 0b00000},  // '='
    {0b01000, 0b00100, 0b00010, 0b00001, 0b00010, 0b00100, 0b01000},  // '>'
    {0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b00000, 0b00100},  // '?'
    {0b01110, 0b10001, 0b10111, 0b10101, 0b10111, 0b10000, 0b01110},  // '@'
    {0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001},  // 'A'
    {0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110},  // 'B'
    {0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110},  // 'C'
    {0b11100, 0b10010, 0b10001, 0b10001, 0b10001, 0b10010, 0b11100},  // 'D'
    {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111},  // 'E'
    {0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000},  // 'F'
    {0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111},  // 'G'
    {0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001},  // 'H'
    {0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110},  // 'I'
    {0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100},  // 'J'
    {0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001},  // 'K'
    {0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111},  // 'L'
    {0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001},  // 'M'
    {0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001},  // 'N'
    {0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110},  // 'O'
    {0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000},  // 'P'
    {0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101},  // 'Q'
    {0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001},  // 'R'
    {0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110},  // 'S'
    {0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100},  // 'T'
    {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110},  // 'U'
    {0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100},  // 'V'
    {0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010},  // 'W'
    {0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001},  // 'X'
    {0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100, 0b00100},  // 'Y'
    {0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111},  // 'Z'
    {0b01110, 0b01000, 0b01000, 0b01000, 0b01000, 0b01000, 0b01110},  // '['
    {0b10000, 0b10000, 0b01000, 0b00100, 0b00010, 0b00001, 0b00001},  // '\\'
    {0b01110, 0b00010, 0b00010, 0b00010, 0b00010, 0b00010, 0b01110},  // ']'
    {0b00100, 0b01010, 0b10001, 0b00000, 0b00000, 0b00000, 0b00000},  // '^'
    {0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b11111},  // '_'
    {0b01000, 0b00100, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000},  // '`'
    {0b00000, 0b00000, 0b01110, 0b00001, 0b01111, 0b10001, 0b01111},  // 'a'
    {0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b11110},  // 'b'
    {0b00000, 0b00000, 0b01110, 0b10000, 0b10000, 0b10001, 0b01110},  // 'c'
    {0b00001, 0b00001, 0b01101, 0b10011, 0b10001, 0b10001, 0b01111},  // 'd'
    {0b00000, 0b00000, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110},  // 'e'
    {0b00110, 0b01001, 0b01000, 0b11100, 0b01000, 0b01000, 0b01000},  // 'f'
    {0b00000, 0b01111, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110},  // 'g'
    {0b10000, 0b10000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001},  // 'h'
    {0b00100, 0b00000, 0b01100, 0b00100, 0b00100, 0b00100, 0b01110},  // 'i'
    {0b00010, 0b00000, 0b00110, 0b00010, 0b00010, 0b10010, 0b01100},  // 'j'
    {0b10000, 0b10000, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010},  // 'k'
    {0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110},  // 'l'
    {0b00000, 0b00000, 0b11010, 0b10101, 0b10101, 0b10001, 0b10001},  // 'm'
    {0b00000, 0b00000, 0b10110, 0b11001, 0b10001, 0b10001, 0b10001},  // 'n'
    {0b00000, 0b00000, 0b01110, 0b10001, 0b10001, 0b10001, 0b01110},  // 'o'
    {0b00000, 0b00000, 0b11110, 0b10001, 0b11110, 0b10000, 0b10000},  // 'p'
    {0b00000, 0b00000, 0b01101, 0b10011, 0b01111, 0b00001, 0b00001},  // 'q'
    {0b00000, 0b00000, 0b10110, 0b11001, 0b10000, 0b10000, 0b10000},  // 'r'
    {0b00000, 0b00000, 0b01110, 0b10000, 0b01110, 0b00001, 0b11110},  // 's'
    {0b01000, 0b01000, 0b11100, 0b01000, 0b01000, 0b01001, 0b00110},  // 't'
    {0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b10011, 0b01101},  // 'u'
    {0b00000, 0b00000, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100},  // 'v'
    {0b00000, 0b00000, 0b10001, 0b10001, 0b10101, 0b10101, 0b01010},  // 'w'
    {0b00000, 0b00000, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001},  // 'x'
    {0b00000, 0b00000, 0b10001, 0b10001, 0b01111, 0b00001, 0b01110},  // 'y'
    {0b00000, 0b00000, 0b11111, 0b00010, 0b00100, 0b01000, 0b11111},  // 'z'
    {0b00010, 0b00100, 0b00100, 0b01000, 0b00100, 0b00100, 0b00010},  // '{'
    {0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100},  // '|'
    {0b01000, 0b00100, 0b00100, 0b00010, 0b00100, 0b00100, 0b01000},  // '}'
    {0b00000, 0b00000, 0b01000, 0b10101, 0b00010, 0b00000, 0b00000},  // '~'
};

const uint8_t* glyph(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return kFont[(c >= 32 && c <= 126 ? c : '?') - 32];
}

void check_image(const Image& img, const char* what) {
  if (img.width < 0 || img.height < 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3)
    fail("{}: image buffer does not match its size {}x{}", what, img.width, img.height);
}

// Paints the pixel rectangle [x0, x1) x [y0, y1) after clipping it to the image.
// 64-bit coordinates: a position near INT_MAX plus the text's extent must not wrap.
void fill_rect(Image& img, int64_t x0, int64_t y0, int64_t x1, int64_t y1,
               const std::array<uint8_t, 3>& c) {
  x0 = std::max<int64_t>(x0, 0);
  y0 = std::max<int64_t>(y0, 0);
  x1 = std::min<int64_t>(x1, img.width);
  y1 = std::min<int64_t>(y1, img.height);
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x) {
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 3];
      p[0] = c[0], p[1] = c[1], p[2] = c[2];
    }
}

// Exact extent in 64 bits; the byte count is capped first so that even the largest
// scale cannot overflow (anything that long saturates the int result anyway).
std::pair<int64_t, int64_t> extent(size_t n, int64_t s) {
  if (n == 0) return {0, 0};
  const int64_t chars = static_cast<int64_t>(std::min<size_t>(n, size_t{1} << 28));
  return {(chars * kAdvance - 1 + 2 * kMargin) * s, (kGlyphH + 2 * kMargin) * s};
}

// Float pixel coordinates far outside the image (or NaN) are clamped before the
// conversion to an integer, which would otherwise be undefined behaviour.
int64_t to_pixel(float v, int64_t lo, int64_t hi) {
  if (std::isnan(v)) return lo;
  const double r = std::floor(static_cast<double>(v));
  return static_cast<int64_t>(std::clamp(r, static_cast<double>(lo), static_cast<double>(hi)));
}

// WCAG relative luminance of an sRGB colour, in [0, 1].
double luminance(const std::array<uint8_t, 3>& c) {
  auto lin = [](uint8_t v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}

}  // namespace

std::pair<int, int> text_size(const std::string& text, int scale) {
  const auto [w, h] = extent(text.size(), std::max(scale, 1));
  return {static_cast<int>(std::min<int64_t>(w, INT_MAX)),
          static_cast<int>(std::min<int64_t>(h, INT_MAX))};
}

void draw_text(Image& img, int x, int y, const std::string& text, std::array<uint8_t, 3> color,
               std::array<uint8_t, 3> background, int scale) {
  check_image(img, "draw_text");
  const int64_t s = std::max(scale, 1);
  const auto [w, h] = extent(text.size(), s);
  if (w == 0 || x + w <= 0 || y + h <= 0 || x >= img.width || y >= img.height) return;
  fill_rect(img, x, y, x + w, y + h, background);
  // Only the glyphs that overlap the image's columns are visited, so a long string
  // placed far to the left or right costs nothing.
  const int64_t ox = x + kMargin * s, oy = y + kMargin * s, adv = kAdvance * s;
  const int64_t first = ox >= 0 ? 0 : -ox / adv;
  const int64_t last = std::min<int64_t>(static_cast<int64_t>(text.size()),
                                         (img.width - ox + adv - 1) / adv);
  for (int64_t i = first; i < last; ++i) {
    const uint8_t* g = glyph(text[static_cast<size_t>(i)]);
    const int64_t gx = ox + i * adv;
    for (int r = 0; r < kGlyphH; ++r)
      for (int c = 0; c < kGlyphW; ++c)
        if (g[r] & (0x10 >> c))
          fill_rect(img, gx + c * s, oy + r * s, gx + (c + 1) * s, oy + (r + 1) * s, color);
  }
}

void draw_box_label(Image& img, float x0, float y0, const std::string& text,
                    std::array<uint8_t, 3> color, int scale) {
  check_image(img, "draw_box_label");
  const auto [w, h] = text_size(text, scale);
  if (w == 0) return;
  // A corner past the right or bottom edge means no part of the box is visible; a
  // tag pulled back into view there would label nothing.
  const int64_t l = to_pixel(x0, -1, img.width), t = to_pixel(y0, -1, img.height);
  if (l >= img.width || t >= img.height) return;
  const int64_t ty = t - h >= 0 ? t - h : std::max<int64_t>(t, 0);
  const int64_t tx = std::clamp<int64_t>(l, 0, std::max<int64_t>(img.width - w, 0));
  // Black on the colour when it is light enough (contrast ratio (L + 0.05) / 0.05
  // beats 1.05 / (L + 0.05)), white otherwise.
  const double lum = luminance(color);
  const bool black = (lum + 0.05) * (lum + 0.05) > 1.05 * 0.05;
  const std::array<uint8_t, 3> ink = black ? std::array<uint8_t, 3>{0, 0, 0}
                                           : std::array<uint8_t, 3>{255, 255, 255};
  draw_text(img, static_cast<int>(tx), static_cast<int>(ty), text, ink, color, scale);
}

}  // namespace argus::image
