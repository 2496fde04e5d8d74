#include "world/vqa.h"

#include <algorithm>
#include <functional>

#include "world/describe.h"
#include "world/rng.h"

namespace argus::world {

namespace {

struct Pair {
  Shape shape;
  Colour colour;
  bool operator==(const Pair& o) const { return shape == o.shape && colour == o.colour; }
};

std::string pair_text(const Pair& p) { return std::string(name(p.colour)) + " " + name(p.shape); }

std::vector<Pair> present_pairs(const Scene& s) {
  std::vector<Pair> out;
  for (const Object& o : s.objects)
    if (std::find(out.begin(), out.end(), Pair{o.shape, o.colour}) == out.end()) out.push_back({o.shape, o.colour});
  return out;
}

// Pairs absent from the scene that its text may name.
std::vector<Pair> absent_pairs(const Scene& s) {
  std::vector<Pair> out;
  for (int sh = 0; sh < kNumShapes; ++sh)
    for (int c = 0; c < kNumColours; ++c)
      if (count_pair(s, Shape(sh), Colour(c)) == 0 && pair_mentionable(s, Shape(sh), Colour(c)))
        out.push_back({Shape(sh), Colour(c)});
  return out;
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

using Maker = std::function<bool(Rng&, const Scene&, std::vector<VqaItem>&)>;

bool existence(Rng& rng, const Scene& s, std::vector<VqaItem>& out) {
  // One yes and one no per image: existence is balanced by construction.
  static const std::vector<std::string> forms = {"is there ", "does the image contain "};
  auto ask = [&](const std::string& what, bool answer) {
    out.push_back({rng.pick(forms) + with_article(what) + "?", yes_no(answer), "existence"});
  };
  const Object& o = s.objects[rng.below(s.objects.size())];
  ask(rng.chance(0.7) ? pair_text({o.shape, o.colour}) : std::string(name(o.shape)), true);
  std::vector<Shape> absent_shapes;
  for (int k = 0; k < kNumShapes; ++k)
    if (count_shape(s, Shape(k)) == 0) absent_shapes.push_back(Shape(k));
  if (!absent_shapes.empty() && rng.chance(0.3))
    ask(name(rng.pick(absent_shapes)), false);
  else
    ask(pair_text(rng.pick(absent_pairs(s))), false);
  return true;
}

bool colour(Rng& rng, const Scene& s, std::vector<VqaItem>& out) {
  std::vector<std::pair<int, unsigned>> options;
  for (size_t i = 0; i < s.objects.size(); ++i)
    for (unsigned f : minimal_unique_fields(s, int(i), kSizeField | kTextureField | kShapeField))
      if (f & kShapeField) options.push_back({int(i), f});
  if (options.empty()) return false;
  const auto [i, f] = rng.pick(options);
  const Object& o = s.objects[size_t(i)];
  out.push_back({"what colour is the " + filter_of(o, f).phrase() + "?", name(o.colour), "colour"});
  return true;
}

bool count(Rng& rng, const Scene& s, std::vector<VqaItem>& out) {
  const Object& o = s.objects[rng.below(s.objects.size())];
  // Half the shape questions are about a shape drawn at random, so "0" occurs.
  const Shape sh = rng.chance(0.5) ? o.shape : Shape(rng.below(kNumShapes));
  out.push_back({"how many " + plural(sh) + " are there?", std::to_string(count_shape(s, sh)), "count"});
  if (rng.chance(0.5)) {
    const Colour c = rng.chance(0.7) ? o.colour : Colour(rng.below(kNumColours));
    out.push_back({"how many " + std::string(name(c)) + " shapes are there?", std::to_string(count_colour(s, c)), "count"});
  } else if (pair_mentionable(s, o.shape, o.colour)) {
    out.push_back({"how many " + std::string(name(o.colour)) + " " + plural(o.shape) + " are there?",
                   std::to_string(count_pair(s, o.shape, o.colour)), "count"});
  }
  return true;
}

bool shape(Rng& rng, const Scene& s, std::vector<VqaItem>& out) {
  std::vector<std::pair<int, unsigned>> options;
  for (size_t i = 0; i < s.objects.size(); ++i)
    for (unsigned f : minimal_unique_fields(s, int(i), kSizeField | kTextureField | kColourField))
      options.push_back({int(i), f});
  if (options.empty()) return false;
  const auto [i, f] = rng.pick(options);
  const Object& o = s.objects[size_t(i)];
  out.push_back({"what shape is the " + filter_of(o, f).phrase() + "?", name(o.shape), "shape"});
  return true;
}

bool position(Rng& rng, const Scene& s, std::vector<VqaItem>& out) {
  struct Option {
    int a, b;
    bool horizontal;
  };
  std::vector<Option> options;
  for (size_t a = 0; a < s.objects.size(); ++a)
    for (size_t b = 0; b < s.objects.size(); ++b) {
      if (a == b || minimal_unique_fields(s, int(a), kAllFields).empty() ||
          minimal_unique_fields(s, int(b), kAllFields).empty())
        continue;
      const Object &oa = s.objects[a], &ob = s.objects[b];
      if (holds(s, oa, ob, Relation::left_of) || holds(s, oa, ob, Relation::right_of))
        options.push_back({int(a), int(b), true});
      if (holds(s, oa, ob, Relation::above) || holds(s, oa, ob, Relation::below))
        options.push_back({int(a), int(b), false});
    }
  if (options.empty()) return false;
  const Option& p = rng.pick(options);
  const Object &a = s.objects[size_t(p.a)], &b = s.objects[size_t(p.b)];
  const std::string na = filter_of(a, minimal_unique_fields(s, p.a, kAllFields)[0]).phrase();
  const std::string nb = filter_of(b, minimal_unique_fields(s, p.b, kAllFields)[0]).phrase();
  if (p.horizontal)
    out.push_back({"is the " + na + " left or right of the " + nb + "?", a.cx < b.cx ? "left" : "right", "position"});
  else
    out.push_back({"is the " + na + " above or below the " + nb + "?", a.cy < b.cy ? "above" : "below", "position"});
  return true;
}

// Two different shapes, at least one present, with different counts.
bool two_shapes(Rng& rng, const Scene& s, Shape& a, Shape& b, bool need_different_counts) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    a = s.objects[rng.below(s.objects.size())].shape;
    b = Shape(rng.below(kNumShapes));
    if (a == b || (need_different_counts && count_shape(s, a) == count_shape(s, b))) continue;
    if (rng.chance(0.5)) std::swap(a, b);
    return true;
  }
  return false;
}

bool compare(Rng& rng, const Scene& s, std::vector<VqaItem>& out) {
  Shape a, b;
  if (!two_shapes(rng, s, a, b, true)) return false;
  out.push_back({"are there more " + plural(a) + " than " + plural(b) + "?",
                 yes_no(count_shape(s, a) > count_shape(s, b)), "compare"});
  return true;
}

bool arithmetic(Rng& rng, const Scene& s, std::vector<VqaItem>& out) {
  Shape a, b;
  if (!two_shapes(rng, s, a, b, false)) return false;
  out.push_back({"how many " + plural(a) + " and " + plural(b) + " are there in total?",
                 std::to_string(count_shape(s, a) + count_shape(s, b)), "arithmetic"});
  return true;
}

}  // namespace

std::vector<VqaItem> make_vqa(const Scene& scene) {
  std::vector<VqaItem> out;
  if (scene.objects.empty()) return out;
  Rng rng(stream_key(scene.key, "vqa"));
  for (const Maker& m : std::vector<Maker>{existence, colour, count, shape, position, compare, arithmetic}) m(rng, scene, out);
  return out;
}

PairCounts count_pairs(const std::vector<Scene>& scenes) {
  PairCounts c{};
  for (const Scene& s : scenes)
    for (const Object& o : s.objects) ++c[size_t(o.shape) * kNumColours + size_t(o.colour)];
  return c;
}

std::vector<PopeItem> make_pope(const Scene& s, const PairCounts& popularity) {
  std::vector<PopeItem> out;
  if (s.objects.empty()) return out;
  Rng rng(stream_key(s.key, "pope"));
  const std::vector<Pair> present = present_pairs(s);
  const std::vector<Pair> absent = absent_pairs(s);
  std::vector<Shape> absent_shapes, present_shapes;
  for (int k = 0; k < kNumShapes; ++k) (count_shape(s, Shape(k)) ? present_shapes : absent_shapes).push_back(Shape(k));
  auto pop = [&](const Pair& p) { return popularity[size_t(p.shape) * kNumColours + size_t(p.colour)]; };

  for (const char* type : {"random", "popular", "adversarial"}) {
    const std::string t = type;
    std::vector<Pair> yes = present;
    rng.shuffle(yes);
    yes.resize(std::min<size_t>(yes.size(), 3));
    std::vector<Pair> no = absent;
    if (t == "random") {
      rng.shuffle(no);
    } else if (t == "popular") {
      std::stable_sort(no.begin(), no.end(), [&](const Pair& a, const Pair& b) { return pop(a) > pop(b); });
    } else {
      // Similar to what is there: same shape, other colour first; then same colour.
      rng.shuffle(no);
      auto rank = [&](const Pair& p) {
        for (const Pair& q : present)
          if (q.shape == p.shape) return 0;
        for (const Pair& q : present)
          if (q.colour == p.colour) return 1;
        return 2;
      };
      std::stable_sort(no.begin(), no.end(), [&](const Pair& a, const Pair& b) { return rank(a) < rank(b); });
    }
    no.resize(yes.size());
    std::vector<PopeItem> items;
    for (const Pair& p : yes) items.push_back({"is there " + with_article(pair_text(p)) + " in the image?", "yes", t});
    for (const Pair& p : no) items.push_back({"is there " + with_article(pair_text(p)) + " in the image?", "no", t});
    if (!absent_shapes.empty()) {
      Shape neg = rng.pick(absent_shapes);
      if (t == "popular") {
        int64_t best = -1;
        for (Shape k : absent_shapes) {
          int64_t n = 0;
          for (int c = 0; c < kNumColours; ++c) n += popularity[size_t(k) * kNumColours + size_t(c)];
          if (n > best) best = n, neg = k;
        }
      }
      // Adversarial shape: one that looks like a present one.
      static const Shape similar[kNumShapes] = {Shape::hexagon, Shape::diamond, Shape::star,   Shape::cross,
                                                Shape::pentagon, Shape::square, Shape::star,   Shape::hexagon};
      if (t == "adversarial")
        for (Shape p : present_shapes)
          if (count_shape(s, similar[size_t(p)]) == 0) {
            neg = similar[size_t(p)];
            break;
          }
      items.push_back({"is there " + with_article(name(rng.pick(present_shapes))) + " in the image?", "yes", t});
      items.push_back({"is there " + with_article(name(neg)) + " in the image?", "no", t});
    }
    rng.shuffle(items);
    out.insert(out.end(), items.begin(), items.end());
  }
  return out;
}

}  // namespace argus::world
