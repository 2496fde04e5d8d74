#include "world/captions.h"

#include <algorithm>
#include <functional>
#include <map>

#include "world/describe.h"
#include "world/rng.h"

namespace argus::world {

std::string full_phrase(const Object& o) { return filter_of(o, kAllFields).phrase(); }

namespace {

std::string background_suffix(Rng& rng, const Scene& s) {
  static const std::vector<std::string> forms = {" on a ", " against a "};
  return rng.pick(forms) + s.background.name() + " background";
}

// "a red circle", "two blue squares" for every (colour, shape) group, in a shuffled order.
std::vector<std::string> pair_groups(Rng& rng, const Scene& s) {
  std::map<std::pair<int, int>, int> counts;
  for (const Object& o : s.objects) ++counts[{int(o.shape), int(o.colour)}];
  std::vector<std::string> items;
  for (const auto& [key, n] : counts) {
    const std::string colour = name(Colour(key.second));
    const Shape shape = Shape(key.first);
    items.push_back(n == 1 ? with_article(colour + " " + name(shape))
                           : number_word(n) + " " + colour + " " + plural(shape));
  }
  rng.shuffle(items);
  return items;
}

std::string list_caption(Rng& rng, const Scene& s) {
  static const std::vector<std::string> prefixes = {"", "a picture of ", "an image of ", "a drawing of "};
  return rng.pick(prefixes) + join_list(pair_groups(rng, s)) + background_suffix(rng, s);
}

std::string total_caption(Rng& rng, const Scene& s) {
  const int n = static_cast<int>(s.objects.size());
  std::string head = count_phrase(n, "shape", "shapes");
  if (rng.chance(0.5)) head += background_suffix(rng, s);
  return head + ": " + join_list(pair_groups(rng, s));
}

// Two objects with every attribute, joined by their relation when it is clear.
std::string pair_caption(Rng& rng, const Scene& s) {
  if (s.objects.size() == 1) return with_article(full_phrase(s.objects[0])) + background_suffix(rng, s);
  const size_t i = rng.below(s.objects.size());
  size_t j = rng.below(s.objects.size() - 1);
  if (j >= i) ++j;
  const Object &a = s.objects[i], &b = s.objects[j];
  std::string rel = "next to";
  for (Relation r : {Relation::left_of, Relation::right_of, Relation::above, Relation::below})
    if (holds(s, a, b, r)) {
      rel = r == Relation::left_of ? "to the left of" : r == Relation::right_of ? "to the right of" : name(r);
      break;
    }
  return with_article(full_phrase(a)) + " " + rel + " " + with_article(full_phrase(b));
}

std::string shapes_caption(Rng& rng, const Scene& s) {
  std::vector<std::string> items;
  for (int k = 0; k < kNumShapes; ++k)
    if (int n = count_shape(s, Shape(k)); n > 0) items.push_back(count_phrase(n, name(Shape(k)), plural(Shape(k))));
  rng.shuffle(items);
  static const std::vector<std::string> prefixes = {"a scene with ", "an image containing "};
  return rng.pick(prefixes) + join_list(items);
}

std::string colours_caption(Rng& rng, const Scene& s) {
  std::vector<std::string> items;
  for (int k = 0; k < kNumColours; ++k)
    if (int n = count_colour(s, Colour(k)); n > 0) {
      const std::string c = name(Colour(k));
      items.push_back(count_phrase(n, c + " shape", c + " shapes"));
    }
  rng.shuffle(items);
  return join_list(items) + background_suffix(rng, s);
}

std::string positions_caption(Rng& rng, const Scene& s) {
  std::vector<int> order(s.objects.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  rng.shuffle(order);
  order.resize(std::min<size_t>(order.size(), 3));
  std::vector<std::string> items;
  for (int i : order) {
    const Object& o = s.objects[size_t(i)];
    const std::string np = s.objects.size() == 1 ? full_phrase(o) : std::string(name(o.colour)) + " " + name(o.shape);
    items.push_back(with_article(np) + " " + region_phrase(s, o));
  }
  return join_list(items);
}

}  // namespace

std::vector<std::string> make_captions(const Scene& scene) {
  if (scene.objects.empty()) return {};
  Rng rng(stream_key(scene.key, "captions"));
  using Template = std::function<std::string(Rng&, const Scene&)>;
  std::vector<Template> templates = {list_caption,   total_caption,   pair_caption,
                                     shapes_caption, colours_caption, positions_caption};
  rng.shuffle(templates);
  const size_t n = static_cast<size_t>(rng.range(3, 5));
  std::vector<std::string> out;
  for (const Template& t : templates) {
    if (out.size() == n) break;
    std::string c = t(rng, scene);
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace argus::world
