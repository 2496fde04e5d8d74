// Drawing results over an RGB image: translucent masks, box outlines and prompt
// points, for the overlay PNGs that segment and detect write. Everything clips to
// the image, so a box or point partly (or wholly) outside draws what is visible
// and never writes out of bounds.
#pragma once
#include <array>
#include <cstdint>

#include "image/image.h"

namespace argus::image {

// Blends `color` over every pixel where `mask` (row-major [h, w], non-zero =
// foreground) is set: out = (1 - alpha) * pixel + alpha * color, rounded.
// The mask must have the image's size; alpha is clamped to [0, 1].
void draw_mask(Image& img, const uint8_t* mask, int h, int w, std::array<uint8_t, 3> color,
               float alpha);

// Outline of the box with corners (x0, y0) and (x1, y1) in pixel coordinates
// (either order); the lines grow inwards from the box edge, `thickness` pixels wide.
void draw_box(Image& img, float x0, float y0, float x1, float y1, std::array<uint8_t, 3> color,
              int thickness);

// Filled disc of the given radius centred on (x, y); radius 0 is one pixel.
void draw_point(Image& img, float x, float y, std::array<uint8_t, 3> color, int radius);

// Distinct, saturated colours for the i-th instance; repeats after its table's
// length, any int (negative too) is valid.
std::array<uint8_t, 3> palette(int i);

}  // namespace argus::image
