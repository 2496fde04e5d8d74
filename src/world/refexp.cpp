#include "world/refexp.h"

#include <algorithm>

#include "world/rng.h"

namespace argus::world {

namespace {

constexpr double kSizeRatio = 1.3;
constexpr Relation kRelations[] = {Relation::left_of, Relation::right_of, Relation::above, Relation::below};
constexpr Superlative kSuperlatives[] = {Superlative::largest,  Superlative::smallest, Superlative::leftmost,
                                         Superlative::rightmost, Superlative::topmost, Superlative::bottommost};

// A key that the superlative maximises.
double key(const Object& o, Superlative s) {
  switch (s) {
    case Superlative::largest: return o.radius;
    case Superlative::smallest: return -o.radius;
    case Superlative::leftmost: return -o.cx;
    case Superlative::rightmost: return o.cx;
    case Superlative::topmost: return -o.cy;
    case Superlative::bottommost: return o.cy;
    case Superlative::none: break;
  }
  return 0;
}

bool clear_winner(const Scene& scene, const Object& best, const Object& second, Superlative s) {
  switch (s) {
    case Superlative::largest: return best.radius >= kSizeRatio * second.radius;
    case Superlative::smallest: return second.radius >= kSizeRatio * best.radius;
    case Superlative::leftmost:
    case Superlative::rightmost: return std::abs(best.cx - second.cx) >= 0.1 * scene.width;
    case Superlative::topmost:
    case Superlative::bottommost: return std::abs(best.cy - second.cy) >= 0.1 * scene.height;
    case Superlative::none: break;
  }
  return false;
}

}  // namespace

const char* name(Superlative s) {
  switch (s) {
    case Superlative::largest: return "largest";
    case Superlative::smallest: return "smallest";
    case Superlative::leftmost: return "leftmost";
    case Superlative::rightmost: return "rightmost";
    case Superlative::topmost: return "topmost";
    case Superlative::bottommost: return "bottommost";
    case Superlative::none: break;
  }
  return "";
}

std::string RefExpr::text() const {
  std::string s = "the ";
  if (superlative != Superlative::none) s += std::string(name(superlative)) + " ";
  s += target.phrase();
  if (relation) s += std::string(" ") + name(*relation) + " the " + anchor.phrase();
  return s;
}

std::vector<int> resolve(const Scene& scene, const RefExpr& e) {
  std::vector<int> group = e.target.matching(scene);
  if (e.relation) {
    const std::vector<int> anchors = e.anchor.matching(scene);
    if (anchors.size() != 1) return {};
    const Object& a = scene.objects[size_t(anchors[0])];
    std::vector<int> out;
    for (int i : group)
      if (i != anchors[0] && holds_loosely(scene.objects[size_t(i)], a, *e.relation)) out.push_back(i);
    return out;
  }
  if (e.superlative != Superlative::none) {
    if (group.size() < 2) return {};
    std::stable_sort(group.begin(), group.end(), [&](int x, int y) {
      return key(scene.objects[size_t(x)], e.superlative) > key(scene.objects[size_t(y)], e.superlative);
    });
    if (!clear_winner(scene, scene.objects[size_t(group[0])], scene.objects[size_t(group[1])], e.superlative))
      return {};
    return {group[0]};
  }
  return group;
}

bool identifies(const Scene& scene, const RefExpr& e, int i) {
  const std::vector<int> r = resolve(scene, e);
  if (r.size() != 1 || r[0] != i) return false;
  if (e.relation) {
    const int a = e.anchor.matching(scene)[0];
    return holds(scene, scene.objects[size_t(i)], scene.objects[size_t(a)], *e.relation);
  }
  return true;
}

std::vector<RefExpr> candidate_expressions(const Scene& scene, int i) {
  const Object& o = scene.objects[size_t(i)];
  std::vector<RefExpr> out;
  auto keep = [&](const RefExpr& e) {
    if (identifies(scene, e, i)) out.push_back(e);
  };
  // Minimal attribute phrases.
  for (unsigned f : minimal_unique_fields(scene, i, kAllFields)) keep(RefExpr{filter_of(o, f), Superlative::none, {}, {}});
  // Relations: the anchor by its own shortest unique phrase; the target by a short
  // phrase that is ambiguous on its own, so the relation is what disambiguates.
  for (size_t j = 0; j < scene.objects.size(); ++j) {
    if (int(j) == i) continue;
    const auto anchor_fields = minimal_unique_fields(scene, int(j), kAllFields);
    if (anchor_fields.empty()) continue;
    const Filter anchor = filter_of(scene.objects[j], anchor_fields[0]);
    for (Relation r : kRelations) {
      if (!holds(scene, o, scene.objects[j], r)) continue;
      for (unsigned tf : {unsigned(kShapeField), kColourField | kShapeField, kSizeField | kShapeField}) {
        const Filter target = filter_of(o, tf);
        if (target.count(scene) < 2) continue;
        RefExpr e{target, Superlative::none, r, anchor};
        if (identifies(scene, e, i)) {
          out.push_back(e);
          break;
        }
      }
    }
  }
  // Superlatives over a group of the same shape (sizes compare cleanly within a shape).
  for (unsigned tf : {unsigned(kShapeField), kColourField | kShapeField})
    for (Superlative s : kSuperlatives) keep(RefExpr{filter_of(o, tf), s, {}, {}});
  return out;
}

std::vector<ReferringExpression> referring_expressions(const Scene& scene) {
  Rng rng(stream_key(scene.key, "refexp"));
  std::vector<int> order(scene.objects.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  rng.shuffle(order);
  std::vector<ReferringExpression> out;
  for (int i : order) {
    if (out.size() == 3) break;
    const std::vector<RefExpr> cands = candidate_expressions(scene, i);
    if (cands.empty()) continue;
    // Pick a kind first (attributes, relation, superlative) so the rarer kinds are
    // not drowned by the many attribute phrases.
    std::vector<std::vector<RefExpr>> kinds(3);
    for (const RefExpr& e : cands) kinds[e.relation ? 1 : e.superlative != Superlative::none ? 2 : 0].push_back(e);
    std::vector<size_t> present;
    for (size_t k = 0; k < kinds.size(); ++k)
      if (!kinds[k].empty()) present.push_back(k);
    const RefExpr& e = rng.pick(kinds[rng.pick(present)]);
    out.push_back({i, e, e.text()});
  }
  return out;
}

}  // namespace argus::world
