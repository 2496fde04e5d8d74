// The closed vocabulary of the synthetic world: shapes (the COCO categories, ids
// 1..8 in this order), colours, sizes, textures and backgrounds, with their names,
// pixel values and the open-set (shape, colour) pairs that training never sees.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace argus::world {

enum class Shape : uint8_t { circle, square, triangle, star, hexagon, diamond, cross, pentagon };
enum class Colour : uint8_t { red, orange, yellow, green, blue, purple, white, black };
enum class Size : uint8_t { small, medium, large };
enum class Texture : uint8_t { solid, striped, dotted };

constexpr int kNumShapes = 8, kNumColours = 8, kNumSizes = 3, kNumTextures = 3;

using Rgb = std::array<uint8_t, 3>;

const char* name(Shape s);
const char* name(Colour c);
const char* name(Size s);
const char* name(Texture t);
std::string plural(Shape s);  // "circles", "crosses"

std::optional<Shape> parse_shape(std::string_view s);      // singular name
std::optional<Colour> parse_colour(std::string_view s);
std::optional<Size> parse_size(std::string_view s);
std::optional<Texture> parse_texture(std::string_view s);

// COCO category id of a shape (1-based, the enum order).
inline int category_id(Shape s) { return static_cast<int>(s) + 1; }

// The nominal saturated colour, and the second tone stripes and dots are drawn in:
// a darker or lighter version chosen per colour so it still reads as that colour.
Rgb nominal_rgb(Colour c);
Rgb pattern_rgb(Colour c);

// Radius range of a size class as a fraction of min(width, height). The classes do
// not overlap (a gap of at least 20% between them) so "small" and "large" are learnable.
std::pair<double, double> radius_range(Size s);

// Muted base tones of the background: low saturation, mid luminance, far from
// every object colour even after gradient and noise.
struct BackgroundTone {
  const char* name;
  Rgb rgb;
};
const std::vector<BackgroundTone>& background_tones();

// The 8 held-out pairs: shape i with colour (3*i + 1) mod 8. They never appear in
// the train and heldout splits (neither in images nor in any text), and every
// openset image has at least one of them.
Colour openset_colour(Shape s);
inline bool is_openset_pair(Shape s, Colour c) { return openset_colour(s) == c; }

// The splits a dataset has, in the order they are generated.
const std::vector<std::string>& split_names();
bool is_split(std::string_view split);

}  // namespace argus::world
