#include "world/raster.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"
#include "world/rng.h"

namespace argus::world {

namespace {

constexpr double kPi = 3.14159265358979323846;

struct Point {
  double x, y;
};

// Regular polygon or star with its first vertex straight up (image y grows down).
std::vector<Point> regular(int n, double outer, double inner = 0) {
  std::vector<Point> p;
  const int steps = inner > 0 ? 2 * n : n;
  for (int i = 0; i < steps; ++i) {
    const double a = -kPi / 2 + 2 * kPi * i / steps;
    const double r = (inner > 0 && i % 2) ? inner : outer;
    p.push_back({r * std::cos(a), r * std::sin(a)});
  }
  return p;
}

// Unit-radius outlines. The factors make the shapes' visual extent comparable to
// a circle of the same radius (a square of half-side 1 would look much bigger than
// its circle), and keep square and diamond distinct: the diamond is a tall rhombus,
// not a square turned by 45 degrees.
const std::vector<Point>& outline(Shape s) {
  static const std::vector<std::vector<Point>> outlines = [] {
    std::vector<std::vector<Point>> o(kNumShapes);
    o[size_t(Shape::circle)] = {};  // exact test, no polygon
    const double h = 0.82;
    o[size_t(Shape::square)] = {{-h, -h}, {h, -h}, {h, h}, {-h, h}};
    o[size_t(Shape::triangle)] = regular(3, 1.1);
    o[size_t(Shape::star)] = regular(5, 1.1, 0.5);
    o[size_t(Shape::hexagon)] = regular(6, 1.0);
    o[size_t(Shape::diamond)] = {{0, -1.05}, {0.72, 0}, {0, 1.05}, {-0.72, 0}};
    const double a = 0.95, w = 0.32;  // plus sign: arm half-length, half-width
    o[size_t(Shape::cross)] = {{-w, -a}, {w, -a}, {w, -w}, {a, -w}, {a, w},  {w, w},
                               {w, a},   {-w, a}, {-w, w}, {-a, w}, {-a, -w}, {-w, -w}};
    o[size_t(Shape::pentagon)] = regular(5, 1.02);
    return o;
  }();
  return outlines[static_cast<size_t>(s)];
}

// Even-odd crossing test: works for the concave star and cross too.
bool inside_polygon(const std::vector<Point>& poly, double x, double y) {
  bool in = false;
  for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    const Point& a = poly[i];
    const Point& b = poly[j];
    if ((a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x) in = !in;
  }
  return in;
}

int floor_mod(int a, int m) {
  const int r = a % m;
  return r < 0 ? r + m : r;
}

uint8_t clamp_byte(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace

bool shape_contains(Shape shape, double radius, double dx, double dy) {
  if (radius <= 0) return false;
  if (shape == Shape::circle) return dx * dx + dy * dy <= radius * radius;
  return inside_polygon(outline(shape), dx / radius, dy / radius);
}

std::array<double, 4> shape_extent(Shape shape) {
  if (shape == Shape::circle) return {1, 1, 1, 1};
  std::array<double, 4> e{0, 0, 0, 0};
  for (const Point& p : outline(shape)) {
    e[0] = std::max(e[0], -p.x);
    e[1] = std::max(e[1], -p.y);
    e[2] = std::max(e[2], p.x);
    e[3] = std::max(e[3], p.y);
  }
  return e;
}

int ShapeMask::area() const {
  int n = 0;
  for (uint8_t b : bits) n += b;
  return n;
}

ShapeMask rasterise(const Object& o, int image_width, int image_height) {
  const auto e = shape_extent(o.shape);
  ShapeMask m;
  const int x0 = std::max(0, static_cast<int>(std::floor(o.cx - e[0] * o.radius)) - 1);
  const int y0 = std::max(0, static_cast<int>(std::floor(o.cy - e[1] * o.radius)) - 1);
  const int x1 = std::min(image_width, static_cast<int>(std::ceil(o.cx + e[2] * o.radius)) + 1);
  const int y1 = std::min(image_height, static_cast<int>(std::ceil(o.cy + e[3] * o.radius)) + 1);
  m.x0 = x0;
  m.y0 = y0;
  m.width = std::max(0, x1 - x0);
  m.height = std::max(0, y1 - y0);
  m.bits.assign(static_cast<size_t>(m.width) * m.height, 0);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      if (shape_contains(o.shape, o.radius, x + 0.5 - o.cx, y + 0.5 - o.cy))
        m.bits[static_cast<size_t>(y - y0) * m.width + (x - x0)] = 1;
  return m;
}

std::vector<int8_t> owner_map(const Scene& scene) {
  if (scene.objects.size() > 127) fail("world scene has {} objects, at most 127 fit an owner map", scene.objects.size());
  std::vector<int8_t> owner(static_cast<size_t>(scene.width) * scene.height, -1);
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    const ShapeMask m = rasterise(scene.objects[i], scene.width, scene.height);
    for (int y = 0; y < m.height; ++y)
      for (int x = 0; x < m.width; ++x)
        if (m.bits[static_cast<size_t>(y) * m.width + x])
          owner[static_cast<size_t>(y + m.y0) * scene.width + (x + m.x0)] = static_cast<int8_t>(i);
  }
  return owner;
}

std::vector<image::GrayImage> visible_masks(const Scene& scene) {
  const auto owner = owner_map(scene);
  std::vector<image::GrayImage> masks(scene.objects.size());
  for (auto& m : masks) {
    m.width = scene.width;
    m.height = scene.height;
    m.pixels.assign(owner.size(), 0);
  }
  for (size_t p = 0; p < owner.size(); ++p)
    if (owner[p] >= 0) masks[static_cast<size_t>(owner[p])].pixels[p] = 1;
  return masks;
}

Rgb object_pixel(const Object& o, int x, int y) {
  // Patterns are anchored at the object's centre so they move with it.
  const int u = x - static_cast<int>(std::floor(o.cx));
  const int v = y - static_cast<int>(std::floor(o.cy));
  const int p = std::max(2, o.pattern_period);
  bool alt = false;
  if (o.texture == Texture::striped) {
    const int t = o.pattern_dir == 0 ? v : o.pattern_dir == 1 ? u : o.pattern_dir == 2 ? u + v : u - v;
    alt = floor_mod(t, p) < p / 2;
  } else if (o.texture == Texture::dotted) {
    const double dx = floor_mod(u, p) + 0.5 - p / 2.0;
    const double dy = floor_mod(v, p) + 0.5 - p / 2.0;
    const double r = 0.28 * p;
    alt = dx * dx + dy * dy <= r * r;
  }
  return alt ? o.pattern : o.rgb;
}

image::Image render_background(const Scene& scene) {
  image::Image img = image::make_image(scene.width, scene.height);
  // Its own stream: the noise does not depend on how many numbers placement drew.
  Rng noise(stream_key(scene.key, "background-noise"));
  const Background& bg = scene.background;
  const double fw = scene.width > 1 ? scene.width - 1 : 1, fh = scene.height > 1 ? scene.height - 1 : 1;
  for (int y = 0; y < scene.height; ++y)
    for (int x = 0; x < scene.width; ++x) {
      const double shift = bg.gx * (2.0 * x / fw - 1.0) + bg.gy * (2.0 * y / fh - 1.0) + noise.range(-8, 8);
      uint8_t* px = &img.pixels[(static_cast<size_t>(y) * scene.width + x) * 3];
      for (int c = 0; c < 3; ++c) px[c] = clamp_byte(bg.rgb[static_cast<size_t>(c)] + shift);
    }
  return img;
}

image::Image render(const Scene& scene) {
  image::Image img = render_background(scene);
  const auto owner = owner_map(scene);
  for (int y = 0; y < scene.height; ++y)
    for (int x = 0; x < scene.width; ++x) {
      const int8_t k = owner[static_cast<size_t>(y) * scene.width + x];
      if (k < 0) continue;
      const Rgb c = object_pixel(scene.objects[static_cast<size_t>(k)], x, y);
      std::copy(c.begin(), c.end(), &img.pixels[(static_cast<size_t>(y) * scene.width + x) * 3]);
    }
  return img;
}

}  // namespace argus::world
