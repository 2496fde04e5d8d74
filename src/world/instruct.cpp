#include "world/instruct.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "world/captions.h"
#include "world/describe.h"
#include "world/rng.h"

namespace argus::world {

namespace {

struct Qa {
  std::string question, answer;
};
using Maker = std::function<std::optional<Qa>(Rng&, const Scene&)>;

std::string pair_text(Shape s, Colour c) { return std::string(name(c)) + " " + name(s); }

// "no circles", "one circle", "three circles".
std::string amount(int n, const std::string& singular, const std::string& plural) {
  return n == 0 ? "no " + plural : count_phrase(n, singular, plural);
}
std::string there_be(int n) { return n == 1 ? "there is " : "there are "; }

// The shortest phrase naming object i alone (with its shape when possible), or none.
std::optional<std::string> unique_name(const Scene& s, int i, unsigned allowed = kAllFields) {
  const auto f = minimal_unique_fields(s, i, allowed);
  if (f.empty()) return std::nullopt;
  return filter_of(s.objects[size_t(i)], f[0]).phrase();
}

std::vector<int> named_objects(const Scene& s) {
  std::vector<int> out;
  for (size_t i = 0; i < s.objects.size(); ++i)
    if (unique_name(s, int(i))) out.push_back(int(i));
  return out;
}

// ------------------------------------------------------------ conversation turns

std::optional<Qa> exist_yes(Rng& rng, const Scene& s) {
  const Object& o = s.objects[rng.below(s.objects.size())];
  const std::string p = pair_text(o.shape, o.colour);
  const int n = count_pair(s, o.shape, o.colour);
  std::string a = n == 1 ? "yes, there is " + with_article(p) + " " + region_phrase(s, o) + "."
                         : "yes, there are " + number_word(n) + " " + name(o.colour) + " " + plural(o.shape) + " in the image.";
  return Qa{"is there " + with_article(p) + " in the image?", a};
}

std::optional<Qa> exist_no(Rng& rng, const Scene& s) {
  std::vector<std::pair<Shape, Colour>> absent;
  for (int sh = 0; sh < kNumShapes; ++sh)
    for (int c = 0; c < kNumColours; ++c)
      if (!count_pair(s, Shape(sh), Colour(c)) && pair_mentionable(s, Shape(sh), Colour(c)))
        absent.push_back({Shape(sh), Colour(c)});
  const auto [sh, c] = rng.pick(absent);
  const std::string p = pair_text(sh, c);
  static const std::vector<std::string> forms = {"is there ", "can you see "};
  return Qa{rng.pick(forms) + with_article(p) + (rng.chance(0.5) ? " in the image?" : "?"),
            "no, there is no " + p + " in the image."};
}

std::optional<Qa> colour_of(Rng& rng, const Scene& s) {
  std::vector<std::pair<int, std::string>> options;
  for (size_t i = 0; i < s.objects.size(); ++i)
    if (auto n = unique_name(s, int(i), kSizeField | kTextureField | kShapeField)) options.push_back({int(i), *n});
  if (options.empty()) return std::nullopt;
  const auto& [i, n] = rng.pick(options);
  return Qa{"what colour is the " + n + "?", "the " + n + " is " + name(s.objects[size_t(i)].colour) + "."};
}

std::optional<Qa> shape_of(Rng& rng, const Scene& s) {
  std::vector<std::pair<int, std::string>> options;
  for (size_t i = 0; i < s.objects.size(); ++i)
    if (auto n = unique_name(s, int(i), kSizeField | kTextureField | kColourField)) options.push_back({int(i), *n});
  if (options.empty()) return std::nullopt;
  const auto& [i, n] = rng.pick(options);
  return Qa{"what shape is the " + n + "?", "the " + n + " is " + with_article(name(s.objects[size_t(i)].shape)) + "."};
}

std::optional<Qa> count_of(Rng& rng, const Scene& s) {
  const Shape sh = rng.chance(0.6) ? s.objects[rng.below(s.objects.size())].shape : Shape(rng.below(kNumShapes));
  const int n = count_shape(s, sh);
  return Qa{"how many " + plural(sh) + " are there?", there_be(n) + amount(n, name(sh), plural(sh)) + "."};
}

std::optional<Qa> total(Rng&, const Scene& s) {
  const int n = int(s.objects.size());
  return Qa{"how many shapes are in the image?", there_be(n) + count_phrase(n, "shape", "shapes") + " in the image."};
}

std::optional<Qa> where(Rng& rng, const Scene& s) {
  const auto named = named_objects(s);
  if (named.empty()) return std::nullopt;
  const int i = rng.pick(named);
  const std::string n = *unique_name(s, i);
  return Qa{"where is the " + n + "?", "the " + n + " is " + region_phrase(s, s.objects[size_t(i)]) + " of the image."};
}

// Two uniquely named objects in a clear left/right or above/below relation.
struct RelPair {
  int a, b;
  Relation r;
};
std::optional<RelPair> relation_pair(Rng& rng, const Scene& s) {
  std::vector<RelPair> options;
  const auto named = named_objects(s);
  for (int a : named)
    for (int b : named)
      for (Relation r : {Relation::left_of, Relation::right_of, Relation::above, Relation::below})
        if (a != b && holds(s, s.objects[size_t(a)], s.objects[size_t(b)], r)) options.push_back({a, b, r});
  if (options.empty()) return std::nullopt;
  return rng.pick(options);
}

std::string relation_words(Relation r) {
  return r == Relation::left_of ? "to the left of" : r == Relation::right_of ? "to the right of" : name(r);
}
Relation opposite(Relation r) {
  switch (r) {
    case Relation::left_of: return Relation::right_of;
    case Relation::right_of: return Relation::left_of;
    case Relation::above: return Relation::below;
    case Relation::below: return Relation::above;
  }
  return r;
}

std::optional<Qa> relation(Rng& rng, const Scene& s) {
  const auto p = relation_pair(rng, s);
  if (!p) return std::nullopt;
  const std::string a = *unique_name(s, p->a), b = *unique_name(s, p->b);
  const bool truthful = rng.chance(0.5);
  const Relation asked = truthful ? p->r : opposite(p->r);
  const std::string q = "is the " + a + " " + relation_words(asked) + " the " + b + "?";
  const std::string fact = "the " + a + " is " + relation_words(p->r) + " the " + b + ".";
  return Qa{q, (truthful ? "yes, " : "no, ") + fact};
}

// ------------------------------------------------------------ reasoning

std::optional<Qa> more_than(Rng& rng, const Scene& s) {
  const Shape a = s.objects[rng.below(s.objects.size())].shape;
  Shape b = Shape(rng.below(kNumShapes - 1));
  if (int(b) >= int(a)) b = Shape(int(b) + 1);
  const int ca = count_shape(s, a), cb = count_shape(s, b);
  const std::string facts =
      "there " + std::string(ca == 1 ? "is " : "are ") + amount(ca, name(a), plural(a)) + " and " + amount(cb, name(b), plural(b));
  std::string answer;
  if (ca > cb) answer = "yes. " + facts + ", so there are more " + plural(a) + ".";
  else if (ca < cb) answer = "no. " + facts + ", so there are more " + plural(b) + ".";
  else answer = "no. " + facts + ", so there are as many " + plural(a) + " as " + plural(b) + ".";
  return Qa{"are there more " + plural(a) + " than " + plural(b) + "?", answer};
}

std::optional<Qa> sum_of(Rng& rng, const Scene& s) {
  const Shape a = s.objects[rng.below(s.objects.size())].shape;
  Shape b = Shape(rng.below(kNumShapes - 1));
  if (int(b) >= int(a)) b = Shape(int(b) + 1);
  const int ca = count_shape(s, a), cb = count_shape(s, b);
  return Qa{"how many " + plural(a) + " and " + plural(b) + " are there altogether?",
            "there " + std::string(ca == 1 ? "is " : "are ") + amount(ca, name(a), plural(a)) + " and " +
                amount(cb, name(b), plural(b)) + ", so " + there_be(ca + cb) + number_word(ca + cb) + " in total."};
}

std::optional<Qa> relation_reason(Rng& rng, const Scene& s) {
  const auto p = relation_pair(rng, s);
  if (!p) return std::nullopt;
  const std::string a = *unique_name(s, p->a), b = *unique_name(s, p->b);
  const bool truthful = rng.chance(0.5);
  const Relation asked = truthful ? p->r : opposite(p->r);
  static const char* const further[] = {"further left than", "further right than", "higher up than", "lower down than"};
  const std::string why = "the " + a + " is " + further[int(p->r)] + " the " + b + ", so it is " + relation_words(p->r) + " it";
  return Qa{"is the " + a + " " + relation_words(asked) + " the " + b + "?",
            (truthful ? "yes. " : "no. ") + why + (truthful ? "." : ", not " + relation_words(asked) + " it.")};
}

std::optional<Qa> majority_colour(Rng&, const Scene& s) {
  if (s.objects.size() < 2) return std::nullopt;
  int best = -1, best_n = 0, second_n = 0;
  for (int c = 0; c < kNumColours; ++c) {
    const int n = count_colour(s, Colour(c));
    if (n > best_n) second_n = best_n, best_n = n, best = c;
    else if (n > second_n) second_n = n;
  }
  if (best_n == second_n) return std::nullopt;
  const std::string c = name(Colour(best));
  return Qa{"which colour is the most common among the shapes?",
            c + ". " + there_be(best_n) + count_phrase(best_n, c + " shape", c + " shapes") +
                ", more than of any other colour."};
}

std::optional<Qa> not_colour(Rng& rng, const Scene& s) {
  const Object& o = s.objects[rng.below(s.objects.size())];
  const std::string c = name(o.colour);
  const int n = int(s.objects.size()), k = count_colour(s, o.colour);
  return Qa{"how many shapes are not " + c + "?",
            there_be(n) + count_phrase(n, "shape", "shapes") + " and " + number_word(k) + " of them " +
                (k == 1 ? "is " : "are ") + c + ", so " + number_word(n - k) + (n - k == 1 ? " is" : " are") + " not " + c + "."};
}

// ------------------------------------------------------------ samples

std::vector<Qa> pick_turns(Rng& rng, const Scene& s, std::vector<Maker> makers, size_t n) {
  rng.shuffle(makers);
  std::vector<Qa> out;
  for (const Maker& m : makers) {
    if (out.size() == n) break;
    if (auto qa = m(rng, s)) out.push_back(*qa);
  }
  return out;
}

InstructSample to_sample(const std::string& type, const std::vector<Qa>& turns) {
  InstructSample x;
  x.type = type;
  for (size_t i = 0; i < turns.size(); ++i) {
    x.conversations.push_back({"human", (i == 0 ? std::string(kImageToken) + "\n" : "") + turns[i].question});
    x.conversations.push_back({"gpt", turns[i].answer});
  }
  return x;
}

std::string detail_answer(Rng& rng, const Scene& s) {
  const int n = int(s.objects.size());
  std::string text = "the image shows " + count_phrase(n, "shape", "shapes") + " on a " + s.background.name() + " background.";
  // Reading order: by row of the 3x3 grid, then left to right.
  std::vector<int> order(s.objects.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  auto row = [&](int i) { return int(3 * s.objects[size_t(i)].cy / s.height); };
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (row(a) != row(b)) return row(a) < row(b);
    return s.objects[size_t(a)].cx < s.objects[size_t(b)].cx;
  });
  for (int i : order) {
    const Object& o = s.objects[size_t(i)];
    const std::string np = with_article(full_phrase(o)), where = region_phrase(s, o);
    switch (rng.below(3)) {
      case 0: text += " there is " + np + " " + where + "."; break;
      case 1: text += " " + where + " there is " + np + "."; break;
      default: text += " " + np + " sits " + where + "."; break;
    }
  }
  if (auto p = relation_pair(rng, s))
    text += " the " + *unique_name(s, p->a) + " is " + relation_words(p->r) + " the " + *unique_name(s, p->b) + ".";
  text += " the " + std::string(s.background.name()) + " background has a soft gradient and a little noise.";
  return text;
}

}  // namespace

std::vector<InstructSample> make_instruct(const Scene& scene) {
  std::vector<InstructSample> out;
  if (scene.objects.empty()) return out;
  Rng rng(stream_key(scene.key, "instruct"));
  // Every conversation asks about one absent object (answered "no"), at a random
  // turn: the negatives that teach a model not to hallucinate.
  const size_t turns = size_t(rng.range(2, 5));
  std::vector<Qa> conversation =
      pick_turns(rng, scene, {exist_yes, colour_of, shape_of, count_of, total, where, relation}, turns - 1);
  const size_t at = size_t(rng.below(conversation.size() + 1));
  conversation.insert(conversation.begin() + std::ptrdiff_t(at), *exist_no(rng, scene));
  out.push_back(to_sample("conversation", conversation));
  static const std::vector<std::string> detail_prompts = {
      "describe the image in detail.", "give a detailed description of the image.",
      "what do you see in this image? describe it in detail."};
  out.push_back(to_sample("detail", {Qa{rng.pick(detail_prompts), detail_answer(rng, scene)}}));
  out.push_back(to_sample("reasoning", pick_turns(rng, scene, {more_than, sum_of, relation_reason, majority_colour, not_colour},
                                                  size_t(rng.range(1, 2)))));
  return out;
}

}  // namespace argus::world
