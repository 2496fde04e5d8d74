// Referring expressions: phrases that pick out exactly one object ("the small red
// circle", "the blue square left of the star", "the largest circle"). Candidates
// are generated from the scene, then each is evaluated by `resolve` and kept only
// when it denotes exactly the intended object.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "world/describe.h"
#include "world/scene.h"

namespace argus::world {

enum class Superlative { none, largest, smallest, leftmost, rightmost, topmost, bottommost };
const char* name(Superlative s);  // "largest", ...

struct RefExpr {
  Filter target;
  Superlative superlative = Superlative::none;
  std::optional<Relation> relation;  // "the <target> <relation> the <anchor>"
  Filter anchor;
  std::string text() const;
};

// What the expression denotes:
// - plain: every object the target filter matches;
// - relation: the anchor must match exactly one object a; the referents are the
//   other target matches in the relation to a, even loosely (a distractor merely
//   to the left of the anchor makes "left of" ambiguous);
// - superlative: the group the target matches (at least 2) must have a clear
//   winner: a radius at least 1.3x the runner-up's for size, a lead of 10% of the
//   image for position; otherwise nothing.
std::vector<int> resolve(const Scene& scene, const RefExpr& e);

// True when `e` denotes exactly object i, and a relation holds with its margin.
bool identifies(const Scene& scene, const RefExpr& e, int i);

// All verified candidates for object i: minimal attribute phrases, relations to
// uniquely named anchors, superlatives.
std::vector<RefExpr> candidate_expressions(const Scene& scene, int i);

struct ReferringExpression {
  int object = 0;  // index into scene.objects
  RefExpr expr;
  std::string sentence;
};

// One expression for each of up to 3 objects of the scene (those that have one).
std::vector<ReferringExpression> referring_expressions(const Scene& scene);

}  // namespace argus::world
