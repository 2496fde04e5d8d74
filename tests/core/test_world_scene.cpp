// The world generator's scenes and pixels: PRNG reference values, determinism,
// attribute ranges, placement rules, open-set pairs, and masks that match the
// rendered pixels exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "image/mask_rle.h"
#include "world/generate.h"
#include "world/raster.h"
#include "world/rng.h"
#include "world/scene.h"

using namespace argus;
using namespace argus::world;

namespace {

std::vector<Scene> scenes(const std::string& split, int n, uint64_t seed = 3) {
  std::vector<Scene> out;
  for (int i = 0; i < n; ++i) out.push_back(make_scene(seed, split, i));
  return out;
}

bool same_rgb(const uint8_t* p, const Rgb& c) { return p[0] == c[0] && p[1] == c[1] && p[2] == c[2]; }

}  // namespace

TEST(WorldRng, MatchesReferenceVectors) {
  // splitmix64 from state 0, and xoshiro256** from state {1, 2, 3, 4}: the values of
  // the reference C implementations.
  uint64_t state = 0;
  EXPECT_EQ(splitmix64(state), 0xe220a8397b1dcdafull);
  Rng r = Rng::from_state(1, 2, 3, 4);
  EXPECT_EQ(r.next(), 11520ull);
  EXPECT_EQ(r.next(), 0ull);
  EXPECT_EQ(r.next(), 1509978240ull);
  EXPECT_EQ(r.next(), 1215971899390074240ull);
}

TEST(WorldRng, HelpersStayInRangeAndReachTheEnds) {
  Rng r(9);
  std::set<int> seen;
  for (int i = 0; i < 2000; ++i) {
    const int v = r.range(-3, 4);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 4);
    seen.insert(v);
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_LT(r.below(7), 7u);
  }
  EXPECT_EQ(seen.size(), 8u);
  // Keys: different splits, indices and seeds give different streams.
  EXPECT_NE(image_key(1, "train", 0), image_key(1, "heldout", 0));
  EXPECT_NE(image_key(1, "train", 0), image_key(1, "train", 1));
  EXPECT_NE(image_key(1, "train", 0), image_key(2, "train", 0));
}

TEST(WorldScene, SameInputsSameSceneAndPixels) {
  for (int i = 0; i < 5; ++i) {
    const Scene a = make_scene(5, "train", i), b = make_scene(5, "train", i);
    EXPECT_EQ(render(a).pixels, render(b).pixels);
    EXPECT_EQ(coco_annotations(a), coco_annotations(b));
  }
  EXPECT_NE(render(make_scene(5, "train", 0)).pixels, render(make_scene(6, "train", 0)).pixels);
  EXPECT_THROW(make_scene(5, "validation", 0), std::runtime_error);
}

TEST(WorldScene, AttributesAndGeometryInRange) {
  int single = 0, total = 0;
  std::set<int> shapes, colours, sizes, textures;
  for (const Scene& s : scenes("train", 300)) {
    ++total;
    ASSERT_GE(s.width, 96);
    ASSERT_LE(s.width, 160);
    ASSERT_GE(s.height, 96);
    ASSERT_LE(s.height, 160);
    ASSERT_GE(s.objects.size(), 1u);
    ASSERT_LE(s.objects.size(), 8u);
    single += s.objects.size() == 1;
    const double m = std::min(s.width, s.height);
    for (const Object& o : s.objects) {
      shapes.insert(int(o.shape));
      colours.insert(int(o.colour));
      sizes.insert(int(o.size));
      textures.insert(int(o.texture));
      const auto [lo, hi] = radius_range(o.size);
      EXPECT_GE(o.radius, lo * m - 1e-9);
      EXPECT_LE(o.radius, hi * m + 1e-9);
      const auto e = shape_extent(o.shape);
      EXPECT_GE(o.cx - e[0] * o.radius, 0);
      EXPECT_GE(o.cy - e[1] * o.radius, 0);
      EXPECT_LE(o.cx + e[2] * o.radius, s.width);
      EXPECT_LE(o.cy + e[3] * o.radius, s.height);
      // The full shape is never clipped by the image border.
      EXPECT_EQ(rasterise(o, s.width, s.height).area(), rasterise(o, 4000, 4000).area());
    }
  }
  EXPECT_EQ(shapes.size(), 8u);
  EXPECT_EQ(colours.size(), 8u);
  EXPECT_EQ(sizes.size(), 3u);
  EXPECT_EQ(textures.size(), 3u);
  // 20% ask for one object; a few crowded scenes lose all but one.
  EXPECT_GT(single, total * 12 / 100);
  EXPECT_LT(single, total * 32 / 100);
  // Size classes do not overlap.
  EXPECT_LT(radius_range(Size::small).second, radius_range(Size::medium).first);
  EXPECT_LT(radius_range(Size::medium).second, radius_range(Size::large).first);
}

TEST(WorldScene, ShapesAreDistinguishable) {
  // Same centre and radius: every pair of shapes differs in many pixels.
  std::vector<std::vector<uint8_t>> masks;
  for (int k = 0; k < kNumShapes; ++k) {
    Object o;
    o.shape = Shape(k);
    o.cx = o.cy = 50;
    o.radius = 30;
    // Each mask covers its own box (boxes differ by shape): place it on the full canvas.
    const ShapeMask m = rasterise(o, 100, 100);
    std::vector<uint8_t> canvas(100 * 100, 0);
    for (int y = 0; y < m.height; ++y)
      for (int x = 0; x < m.width; ++x)
        canvas[static_cast<size_t>(y + m.y0) * 100 + (x + m.x0)] = m.bits[static_cast<size_t>(y) * m.width + x];
    masks.push_back(std::move(canvas));
  }
  for (int a = 0; a < kNumShapes; ++a)
    for (int b = a + 1; b < kNumShapes; ++b) {
      int diff = 0;
      for (size_t p = 0; p < masks[a].size(); ++p) diff += masks[a][p] != masks[b][p];
      EXPECT_GT(diff, 150) << name(Shape(a)) << " vs " << name(Shape(b));
    }
}

TEST(WorldScene, PlacementLeavesEveryObjectVisible) {
  for (const std::string split : {"train", "openset"})
    for (const Scene& s : scenes(split, 100)) {
      const auto masks = visible_masks(s);
      for (size_t i = 0; i < s.objects.size(); ++i) {
        const Object& o = s.objects[i];
        int visible = 0;
        for (uint8_t b : masks[i].pixels) visible += b;
        const int full = rasterise(o, s.width, s.height).area();
        EXPECT_EQ(o.visible_area, visible);
        EXPECT_EQ(o.full_area, full);
        EXPECT_GE(visible, 30);
        EXPECT_GE(double(visible) / full, 0.6) << split << " image " << s.index << " object " << i;
        EXPECT_GE(o.visible_fraction(), 0.6);
      }
    }
}

TEST(WorldScene, OpensetPairsOnlyInOpenset) {
  // Shape i with colour (3i + 1) mod 8, each colour once.
  std::set<int> cols;
  for (int k = 0; k < kNumShapes; ++k) cols.insert(int(openset_colour(Shape(k))));
  EXPECT_EQ(cols.size(), 8u);
  EXPECT_EQ(openset_colour(Shape::circle), Colour::orange);
  EXPECT_EQ(openset_colour(Shape::pentagon), Colour::white);
  for (const std::string split : {"train", "heldout"})
    for (const Scene& s : scenes(split, 200))
      for (const Object& o : s.objects) ASSERT_FALSE(is_openset_pair(o.shape, o.colour)) << split << " " << s.index;
  for (const Scene& s : scenes("openset", 100)) {
    bool any = false;
    for (const Object& o : s.objects) any |= is_openset_pair(o.shape, o.colour);
    EXPECT_TRUE(any) << "openset image " << s.index;
  }
}

TEST(WorldScene, MasksMatchRenderedPixelsExactly) {
  int checked_objects = 0;
  for (const Scene& s : scenes("train", 40, 17)) {
    const image::Image img = render(s), bg = render_background(s);
    const auto masks = visible_masks(s);
    const auto anns = coco_annotations(s);
    ASSERT_EQ(anns.size(), s.objects.size());
    for (size_t i = 0; i < s.objects.size(); ++i) {
      const Object& o = s.objects[i];
      // The RLE written to instances.json decodes to the visible mask.
      image::MaskRle rle{s.height, s.width, anns[i]["segmentation"]["counts"].get<std::string>()};
      ASSERT_EQ(image::rle_decode(rle), masks[i].pixels);
      // The object's colour region: the pixels painted in one of its two tones.
      int x0 = s.width, y0 = s.height, x1 = -1, y1 = -1, area = 0;
      for (int y = 0; y < s.height; ++y)
        for (int x = 0; x < s.width; ++x) {
          const size_t p = size_t(y) * s.width + x;
          const uint8_t* px = &img.pixels[p * 3];
          const bool painted = same_rgb(px, o.rgb) || same_rgb(px, o.pattern);
          // Another object could share a tone only with identical jitter: then
          // its mask must be the one holding the pixel.
          bool shared = false;
          for (size_t j = 0; j < s.objects.size(); ++j)
            if (j != i && masks[j].pixels[p]) shared |= same_rgb(px, s.objects[j].rgb) || same_rgb(px, s.objects[j].pattern);
          if (!shared) ASSERT_EQ(painted, masks[i].pixels[p] != 0) << "image " << s.index << " object " << i << " at " << x << "," << y;
          if (masks[i].pixels[p]) {
            ++area;
            x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
          }
        }
      EXPECT_EQ(anns[i]["area"].get<int>(), area);
      EXPECT_EQ(anns[i]["bbox"], nlohmann::json({x0, y0, x1 - x0 + 1, y1 - y0 + 1}));
      EXPECT_EQ(anns[i]["category_id"].get<int>(), int(o.shape) + 1);
      ++checked_objects;
    }
    // Masks are disjoint, and every pixel outside them is the background's.
    for (int y = 0; y < s.height; ++y)
      for (int x = 0; x < s.width; ++x) {
        const size_t p = size_t(y) * s.width + x;
        int owners = 0;
        for (const auto& m : masks) owners += m.pixels[p];
        ASSERT_LE(owners, 1);
        if (!owners) ASSERT_TRUE(std::equal(&img.pixels[p * 3], &img.pixels[p * 3] + 3, &bg.pixels[p * 3]));
      }
  }
  EXPECT_GT(checked_objects, 80);
}

TEST(WorldScene, BackgroundNeverLooksLikeAnObject) {
  for (const Scene& s : scenes("heldout", 30)) {
    const image::Image bg = render_background(s);
    for (size_t p = 0; p < bg.pixels.size(); p += 3)
      for (int c = 0; c < kNumColours; ++c)
        for (const Rgb& t : {nominal_rgb(Colour(c)), pattern_rgb(Colour(c))}) {
          int dist = 0;  // L-infinity
          for (int k = 0; k < 3; ++k) dist = std::max(dist, std::abs(int(bg.pixels[p + k]) - int(t[size_t(k)])));
          ASSERT_GT(dist, 20) << "background pixel close to " << name(Colour(c));
        }
  }
}
