// One synthetic scene: its size, background and objects with their attributes,
// geometry and (after placement) the exact visible extent of each object. A scene
// is a pure function of (seed, split, index); images and every annotation are
// derived from it.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "world/attributes.h"

namespace argus::world {

struct Object {
  Shape shape = Shape::circle;
  Colour colour = Colour::red;
  Size size = Size::small;
  Texture texture = Texture::solid;
  // Shape centre (the centroid for the triangle) in pixel coordinates, and the
  // radius the size class is defined on: circumradius-like, see raster.cpp.
  double cx = 0, cy = 0, radius = 0;
  Rgb rgb{}, pattern{};  // jittered nominal and pattern tones
  int pattern_dir = 0;     // stripes: 0 horizontal, 1 vertical, 2 and 3 diagonal
  int pattern_period = 4;  // stripe period / dot spacing in pixels

  // Filled in by make_scene from the rasterised scene.
  int full_area = 0;               // pixels of the shape alone
  int visible_area = 0;            // pixels left after later objects are painted
  std::array<int, 4> bbox{};       // x, y, w, h of the visible pixels
  double visible_fraction() const { return full_area ? double(visible_area) / full_area : 0.0; }
};

struct Background {
  int tone = 0;      // index into background_tones()
  Rgb rgb{};
  double gx = 0, gy = 0;  // gradient: added shift at the right / bottom edge (minus at the other)
  const char* name() const { return background_tones()[static_cast<size_t>(tone)].name; }
};

struct Scene {
  uint64_t seed = 0;
  std::string split;
  int64_t index = 0;
  uint64_t key = 0;  // image_key(seed, split, index): every per-image stream derives from it
  int width = 0, height = 0;
  Background background;
  std::vector<Object> objects;  // in painting order
};

// Placement rules: an object must leave every object (itself and the earlier ones)
// at least this fraction of its full area and this many pixels visible.
constexpr double kMinVisibleFraction = 0.6;
constexpr int kMinVisibleArea = 30;
constexpr int kMaxObjects = 8;

// The scene of image `index` of `split` ("train", "heldout" or "openset"); an
// unknown split is an error.
Scene make_scene(uint64_t seed, const std::string& split, int64_t index);

}  // namespace argus::world
