// The semantics shared by every text generator: attribute filters (what a noun
// phrase like "the small red circle" picks out), spatial relations with a margin,
// coarse regions, and the English helpers (number words, articles, lists). Keeping
// one definition here means captions, questions and referring expressions can
// never disagree about what a phrase means.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "world/scene.h"

namespace argus::world {

// Which attributes a filter constrains (bit set).
enum Field : unsigned { kSizeField = 1, kTextureField = 2, kColourField = 4, kShapeField = 8 };
constexpr unsigned kAllFields = 15;

struct Filter {
  std::optional<Size> size;
  std::optional<Texture> texture;
  std::optional<Colour> colour;
  std::optional<Shape> shape;

  bool matches(const Object& o) const;
  std::vector<int> matching(const Scene& scene) const;  // object indices, painting order
  int count(const Scene& scene) const;
  // "large striped green star"; without a shape the noun is "object" ("red object").
  std::string phrase() const;
  bool empty() const { return !size && !texture && !colour && !shape; }
};

// The filter that keeps `fields` of an object's attributes.
Filter filter_of(const Object& o, unsigned fields);

// Smallest field sets (within `allowed`) whose filter matches object i alone, in a
// fixed order (fewer fields first; among equals, sets with the shape first). Empty
// when no subset of `allowed` is unique.
std::vector<unsigned> minimal_unique_fields(const Scene& scene, int i, unsigned allowed);

// Spatial relations between object centres. `holds` needs a clear margin (10% of
// the image width or height); `holds_loosely` only the right order. A relation is
// used in text only when it holds, and a distractor must not even hold loosely.
enum class Relation { left_of, right_of, above, below };
const char* name(Relation r);  // "left of", "right of", "above", "below"
bool holds(const Scene& scene, const Object& a, const Object& b, Relation r);
bool holds_loosely(const Object& a, const Object& b, Relation r);
double margin(const Scene& scene, Relation r);

// Coarse position on a 3x3 grid: "in the top left", "at the top", "in the centre", ...
std::string region_phrase(const Scene& scene, const Object& o);

// English.
std::string number_word(int n);                 // 0..8: "zero".."eight"; otherwise digits
std::string with_article(const std::string& s);  // "a red circle", "an orange star"
std::string count_phrase(int n, const std::string& singular, const std::string& plural);  // "one circle", "two circles"
std::string join_list(const std::vector<std::string>& items);  // "a", "a and b", "a, b and c"

// Counts of objects by attribute.
int count_shape(const Scene& scene, Shape s);
int count_colour(const Scene& scene, Colour c);
int count_pair(const Scene& scene, Shape s, Colour c);

// Whether text may name this (shape, colour) pair: outside the openset split the
// held-out pairs are never mentioned, not even as negatives, so a model trained on
// train sees neither their pixels nor their names together.
bool pair_mentionable(const Scene& scene, Shape s, Colour c);

}  // namespace argus::world
