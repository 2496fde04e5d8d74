// Text labels for the overlay PNGs ("person 0.87" over a detection box), drawn with
// a small embedded bitmap font so the image layer needs no font files or libraries.
// Like the shapes in overlay.h, everything clips to the image: any position, even
// far outside it, draws what is visible and never writes out of bounds.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "image/image.h"

namespace argus::image {

// Draws `text` with the embedded 5x7 font, each font pixel a `scale` x `scale` square
// (scale < 1 counts as 1), over a filled rectangle of `background` with a margin of
// one font pixel on every side. (x, y) is the rectangle's top-left corner; it covers
// text_size(text, scale) pixels from there. Printable ASCII (32..126) draws as
// itself, any other byte (control characters, each byte of UTF-8) as '?'. Glyphs
// are 6 font pixels apart (5 wide plus a 1 pixel gap). Empty text draws nothing.
void draw_text(Image& img, int x, int y, const std::string& text, std::array<uint8_t, 3> color,
               std::array<uint8_t, 3> background, int scale = 1);

// Width and height in pixels draw_text covers, margin included:
// ((6 * n + 1) * scale, 9 * scale) for n bytes of text, (0, 0) for empty text.
// Saturates at INT_MAX rather than overflowing.
std::pair<int, int> text_size(const std::string& text, int scale = 1);

// A filled tag with `text` for the box whose top-left corner is (x0, y0) (pixel
// coordinates, as for draw_box): its bottom edge sits on the box's top row when the
// image has room above, else it is drawn just inside the box's top edge. It is
// shifted left if it would run off the right edge of the image, and never starts
// left of column 0, so labels of boxes at the borders stay readable. The tag is
// filled with `color` and the text is black or white, whichever contrasts more
// with it (WCAG contrast ratio). Nothing is drawn when (x0, y0) lies beyond the
// image's right or bottom edge, where none of the box can be visible.
void draw_box_label(Image& img, float x0, float y0, const std::string& text,
                    std::array<uint8_t, 3> color, int scale);

}  // namespace argus::image
