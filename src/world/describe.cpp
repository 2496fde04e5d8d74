#include "world/describe.h"

#include <algorithm>
#include <bitset>

namespace argus::world {

bool Filter::matches(const Object& o) const {
  return (!size || *size == o.size) && (!texture || *texture == o.texture) && (!colour || *colour == o.colour) &&
         (!shape || *shape == o.shape);
}

std::vector<int> Filter::matching(const Scene& scene) const {
  std::vector<int> out;
  for (size_t i = 0; i < scene.objects.size(); ++i)
    if (matches(scene.objects[i])) out.push_back(static_cast<int>(i));
  return out;
}

int Filter::count(const Scene& scene) const { return static_cast<int>(matching(scene).size()); }

std::string Filter::phrase() const {
  std::string s;
  auto add = [&](const char* w) {
    if (!s.empty()) s += ' ';
    s += w;
  };
  if (size) add(name(*size));
  if (texture) add(name(*texture));
  if (colour) add(name(*colour));
  add(shape ? name(*shape) : "object");
  return s;
}

Filter filter_of(const Object& o, unsigned fields) {
  Filter f;
  if (fields & kSizeField) f.size = o.size;
  if (fields & kTextureField) f.texture = o.texture;
  if (fields & kColourField) f.colour = o.colour;
  if (fields & kShapeField) f.shape = o.shape;
  return f;
}

std::vector<unsigned> minimal_unique_fields(const Scene& scene, int i, unsigned allowed) {
  const Object& o = scene.objects[static_cast<size_t>(i)];
  for (size_t bits = 1; bits <= 4; ++bits) {
    std::vector<unsigned> found;
    for (unsigned f = 1; f <= kAllFields; ++f) {
      if ((f & ~allowed) || std::bitset<4>(f).count() != bits) continue;
      if (filter_of(o, f).count(scene) == 1) found.push_back(f);
    }
    std::stable_sort(found.begin(), found.end(),
                     [](unsigned a, unsigned b) { return (a & kShapeField) > (b & kShapeField); });
    if (!found.empty()) return found;
  }
  return {};
}

const char* name(Relation r) {
  switch (r) {
    case Relation::left_of: return "left of";
    case Relation::right_of: return "right of";
    case Relation::above: return "above";
    case Relation::below: return "below";
  }
  return "";
}

double margin(const Scene& scene, Relation r) {
  return 0.1 * (r == Relation::left_of || r == Relation::right_of ? scene.width : scene.height);
}

bool holds(const Scene& scene, const Object& a, const Object& b, Relation r) {
  const double m = margin(scene, r);
  switch (r) {
    case Relation::left_of: return a.cx < b.cx - m;
    case Relation::right_of: return a.cx > b.cx + m;
    case Relation::above: return a.cy < b.cy - m;
    case Relation::below: return a.cy > b.cy + m;
  }
  return false;
}

bool holds_loosely(const Object& a, const Object& b, Relation r) {
  switch (r) {
    case Relation::left_of: return a.cx < b.cx;
    case Relation::right_of: return a.cx > b.cx;
    case Relation::above: return a.cy < b.cy;
    case Relation::below: return a.cy > b.cy;
  }
  return false;
}

std::string region_phrase(const Scene& scene, const Object& o) {
  const int col = o.cx < scene.width / 3.0 ? 0 : o.cx < 2 * scene.width / 3.0 ? 1 : 2;
  const int row = o.cy < scene.height / 3.0 ? 0 : o.cy < 2 * scene.height / 3.0 ? 1 : 2;
  static const char* const phrases[3][3] = {{"in the top left", "at the top", "in the top right"},
                                            {"on the left", "in the centre", "on the right"},
                                            {"in the bottom left", "at the bottom", "in the bottom right"}};
  return phrases[row][col];
}

std::string number_word(int n) {
  static const char* const words[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight"};
  return n >= 0 && n <= 8 ? words[n] : std::to_string(n);
}

std::string with_article(const std::string& s) {
  const bool vowel = !s.empty() && std::string("aeiou").find(s[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + s;
}

std::string count_phrase(int n, const std::string& singular, const std::string& plural) {
  return number_word(n) + " " + (n == 1 ? singular : plural);
}

std::string join_list(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += i + 1 == items.size() ? " and " : ", ";
    s += items[i];
  }
  return s;
}

int count_shape(const Scene& scene, Shape s) {
  Filter f;
  f.shape = s;
  return f.count(scene);
}

int count_colour(const Scene& scene, Colour c) {
  Filter f;
  f.colour = c;
  return f.count(scene);
}

int count_pair(const Scene& scene, Shape s, Colour c) {
  Filter f;
  f.shape = s;
  f.colour = c;
  return f.count(scene);
}

bool pair_mentionable(const Scene& scene, Shape s, Colour c) {
  return scene.split == "openset" || !is_openset_pair(s, c);
}

}  // namespace argus::world
