// Binary-coverage rasterisation: a pixel belongs to a shape when its centre lies
// inside it, with no anti-aliasing, so every pixel has exactly one owner (an object
// or the background) and masks match the rendered pixels exactly.
#pragma once
#include <cstdint>
#include <vector>

#include "image/image.h"
#include "world/scene.h"

namespace argus::world {

// Whether the point (dx, dy) relative to the centre lies inside the shape of radius r.
bool shape_contains(Shape shape, double radius, double dx, double dy);

// The shape's extent around its centre for radius 1: {left, top, right, bottom}, as
// positive distances. Placement keeps centre ± extent * radius inside the image.
std::array<double, 4> shape_extent(Shape shape);

// An object's full shape (ignoring occlusion), clipped to the image: a box and its
// 0/1 pixels.
struct ShapeMask {
  int x0 = 0, y0 = 0, width = 0, height = 0;
  std::vector<uint8_t> bits;  // row-major [height, width]
  int area() const;
};
ShapeMask rasterise(const Object& object, int image_width, int image_height);

// For each pixel (row-major) the index of the object painted last over it, -1 for
// the background.
std::vector<int8_t> owner_map(const Scene& scene);

// Visible 0/1 masks (the object minus later objects), one per object.
std::vector<image::GrayImage> visible_masks(const Scene& scene);

// The colour an object paints at pixel (x, y) inside its shape: its tone or its
// pattern tone by texture.
Rgb object_pixel(const Object& object, int x, int y);

image::Image render_background(const Scene& scene);
image::Image render(const Scene& scene);

}  // namespace argus::world
