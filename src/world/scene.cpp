#include "world/scene.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"
#include "world/raster.h"
#include "world/rng.h"

namespace argus::world {

namespace {

constexpr int kPlacementAttempts = 40;

uint8_t jitter(uint8_t v, int d) { return static_cast<uint8_t>(std::clamp(int(v) + d, 0, 255)); }

// Attributes of one object. Outside the openset split the held-out pairs are never
// drawn: the colour is chosen among the 7 others for the shape.
Object sample_attributes(Rng& rng, bool openset_split, bool force_openset_pair) {
  Object o;
  o.shape = static_cast<Shape>(rng.below(kNumShapes));
  if (force_openset_pair) {
    o.colour = openset_colour(o.shape);
  } else if (openset_split) {
    o.colour = static_cast<Colour>(rng.below(kNumColours));
  } else {
    int c = static_cast<int>(rng.below(kNumColours - 1));
    if (c >= static_cast<int>(openset_colour(o.shape))) ++c;
    o.colour = static_cast<Colour>(c);
  }
  o.size = static_cast<Size>(rng.below(kNumSizes));
  o.texture = static_cast<Texture>(rng.below(kNumTextures));
  const int jr = rng.range(-10, 10), jg = rng.range(-10, 10), jb = rng.range(-10, 10);
  const Rgb n = nominal_rgb(o.colour), p = pattern_rgb(o.colour);
  o.rgb = {jitter(n[0], jr), jitter(n[1], jg), jitter(n[2], jb)};
  o.pattern = {jitter(p[0], jr), jitter(p[1], jg), jitter(p[2], jb)};
  o.pattern_dir = rng.range(0, 3);
  return o;
}

// Radius and centre for one placement attempt: the whole shape inside the image
// with a one-pixel border.
void sample_geometry(Rng& rng, Object& o, int width, int height) {
  const auto [lo, hi] = radius_range(o.size);
  const double m = std::min(width, height);
  o.radius = m * rng.uniform(lo, hi);
  const auto e = shape_extent(o.shape);
  const double xmin = 1 + e[0] * o.radius, xmax = width - 1 - e[2] * o.radius;
  const double ymin = 1 + e[1] * o.radius, ymax = height - 1 - e[3] * o.radius;
  o.cx = rng.uniform(xmin, std::max(xmin, xmax));
  o.cy = rng.uniform(ymin, std::max(ymin, ymax));
  // Stripes about a third of the radius wide, dots spaced half a radius: visible
  // on a small object, still fine on a large one.
  o.pattern_period = o.texture == Texture::dotted ? std::clamp(int(std::lround(o.radius / 2)), 5, 9)
                                                  : std::clamp(int(std::lround(o.radius / 2.2)), 4, 8);
}

bool acceptable(int visible, int full) {
  return visible >= kMinVisibleArea && visible >= kMinVisibleFraction * full;
}

}  // namespace

Scene make_scene(uint64_t seed, const std::string& split, int64_t index) {
  if (!is_split(split)) fail("unknown world split \"{}\" (expected train, heldout or openset)", split);
  if (index < 0) fail("world image index {} is negative", index);
  Scene s;
  s.seed = seed;
  s.split = split;
  s.index = index;
  s.key = image_key(seed, split, index);
  Rng rng(stream_key(s.key, "scene"));
  s.width = rng.range(96, 160);
  s.height = rng.range(96, 160);
  s.background.tone = static_cast<int>(rng.below(background_tones().size()));
  s.background.rgb = background_tones()[static_cast<size_t>(s.background.tone)].rgb;
  s.background.gx = rng.uniform(-10, 10);
  s.background.gy = rng.uniform(-10, 10);

  // A fifth of the images hold a single object (easy grounding and captioning
  // examples); the rest ask for 2..8 objects, fewer when placement fails.
  const int target = rng.chance(0.2) ? 1 : rng.range(2, kMaxObjects);
  const bool openset = split == "openset";

  std::vector<int8_t> owner(static_cast<size_t>(s.width) * s.height, -1);
  std::vector<int> visible, full;
  for (int k = 0; k < target; ++k) {
    Object o = sample_attributes(rng, openset, openset && k == 0);
    for (int attempt = 0; attempt < kPlacementAttempts; ++attempt) {
      sample_geometry(rng, o, s.width, s.height);
      const ShapeMask m = rasterise(o, s.width, s.height);
      const int area = m.area();
      if (!acceptable(area, area)) continue;
      // Pixels each earlier object would lose under the new one.
      std::vector<int> after = visible;
      for (int y = 0; y < m.height; ++y)
        for (int x = 0; x < m.width; ++x)
          if (m.bits[size_t(y) * m.width + x]) {
            const int8_t prev = owner[size_t(y + m.y0) * s.width + (x + m.x0)];
            if (prev >= 0) --after[size_t(prev)];
          }
      bool ok = true;
      for (size_t i = 0; i < after.size() && ok; ++i) ok = acceptable(after[i], full[i]);
      if (!ok) continue;
      for (int y = 0; y < m.height; ++y)
        for (int x = 0; x < m.width; ++x)
          if (m.bits[size_t(y) * m.width + x]) owner[size_t(y + m.y0) * s.width + (x + m.x0)] = int8_t(s.objects.size());
      visible = std::move(after);
      visible.push_back(area);
      full.push_back(area);
      s.objects.push_back(o);
      break;
    }
  }
  // The first object is placed on an empty canvas and always fits; this guards the
  // openset promise against a future change to the size ranges.
  if (openset && (s.objects.empty() || !is_openset_pair(s.objects[0].shape, s.objects[0].colour)))
    fail("world: openset image {} could not place its held-out object", index);

  for (size_t i = 0; i < s.objects.size(); ++i) {
    Object& o = s.objects[i];
    o.full_area = full[i];
    o.visible_area = visible[i];
    int x0 = s.width, y0 = s.height, x1 = -1, y1 = -1;
    for (int y = 0; y < s.height; ++y)
      for (int x = 0; x < s.width; ++x)
        if (owner[size_t(y) * s.width + x] == int8_t(i)) {
          x0 = std::min(x0, x);
          x1 = std::max(x1, x);
          y0 = std::min(y0, y);
          y1 = std::max(y1, y);
        }
    o.bbox = {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
  }
  return s;
}

}  // namespace argus::world
