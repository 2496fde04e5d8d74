#include "world/attributes.h"

namespace argus::world {

namespace {

constexpr std::array<const char*, kNumShapes> kShapes = {"circle",  "square", "triangle", "star",
                                                          "hexagon", "diamond", "cross",   "pentagon"};
constexpr std::array<const char*, kNumColours> kColours = {"red",  "orange", "yellow", "green",
                                                           "blue", "purple", "white",  "black"};
constexpr std::array<const char*, kNumSizes> kSizes = {"small", "medium", "large"};
constexpr std::array<const char*, kNumTextures> kTextures = {"solid", "striped", "dotted"};

template <typename E, size_t N>
std::optional<E> parse(const std::array<const char*, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace

const char* name(Shape s) { return kShapes[static_cast<size_t>(s)]; }
const char* name(Colour c) { return kColours[static_cast<size_t>(c)]; }
const char* name(Size s) { return kSizes[static_cast<size_t>(s)]; }
const char* name(Texture t) { return kTextures[static_cast<size_t>(t)]; }

std::string plural(Shape s) { return s == Shape::cross ? "crosses" : std::string(name(s)) + "s"; }

std::optional<Shape> parse_shape(std::string_view s) { return parse<Shape>(kShapes, s); }
std::optional<Colour> parse_colour(std::string_view s) { return parse<Colour>(kColours, s); }
std::optional<Size> parse_size(std::string_view s) { return parse<Size>(kSizes, s); }
std::optional<Texture> parse_texture(std::string_view s) { return parse<Texture>(kTextures, s); }

Rgb nominal_rgb(Colour c) {
  static constexpr std::array<Rgb, kNumColours> rgb = {{{220, 40, 40},
                                                        {245, 140, 20},
                                                        {240, 220, 30},
                                                        {40, 170, 60},
                                                        {40, 80, 220},
                                                        {140, 50, 190},
                                                        {245, 245, 245},
                                                        {20, 20, 20}}};
  return rgb[static_cast<size_t>(c)];
}

Rgb pattern_rgb(Colour c) {
  // Darker for colours that stay recognisable when darkened (red, green), lighter
  // for those that turn brown or grey when darkened (orange, yellow, blue, purple);
  // white gets light grey and black dark grey.
  static constexpr std::array<Rgb, kNumColours> rgb = {{{150, 20, 20},
                                                        {250, 185, 100},
                                                        {255, 245, 150},
                                                        {20, 110, 35},
                                                        {120, 150, 250},
                                                        {190, 120, 230},
                                                        {205, 205, 205},
                                                        {65, 65, 65}}};
  return rgb[static_cast<size_t>(c)];
}

std::pair<double, double> radius_range(Size s) {
  switch (s) {
    case Size::small: return {0.07, 0.10};
    case Size::medium: return {0.12, 0.16};
    case Size::large: return {0.19, 0.24};
  }
  return {0.0, 0.0};
}

const std::vector<BackgroundTone>& background_tones() {
  // "stone" is the olive-grey tone: one word keeps the vocabulary simple.
  static const std::vector<BackgroundTone> tones = {
      {"grey", {128, 128, 128}}, {"tan", {158, 142, 118}}, {"slate", {110, 122, 138}}, {"stone", {132, 130, 112}}};
  return tones;
}

Colour openset_colour(Shape s) { return static_cast<Colour>((3 * static_cast<int>(s) + 1) % kNumColours); }

const std::vector<std::string>& split_names() {
  static const std::vector<std::string> names = {"train", "heldout", "openset"};
  return names;
}

bool is_split(std::string_view split) {
  for (const auto& s : split_names())
    if (s == split) return true;
  return false;
}

}  // namespace argus::world
