// Visual question answering with short answers (one word or a digit string, for
// exact-match scoring) and POPE-style yes/no object probing.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "world/scene.h"

namespace argus::world {

// Types: existence, colour, count, shape, position, compare, arithmetic.
struct VqaItem {
  std::string question, answer, type;
};
std::vector<VqaItem> make_vqa(const Scene& scene);

// How often each (shape, colour) pair occurs in a split: POPE's "popular" negatives
// are the most frequent absent pairs. Index: shape * kNumColours + colour.
using PairCounts = std::array<int64_t, kNumShapes * kNumColours>;
PairCounts count_pairs(const std::vector<Scene>& scenes);

// POPE: for each of random, popular and adversarial, as many "no" as "yes"
// questions: up to 3 present (colour, shape) pairs against absent ones, plus one
// shape-only pair when some shape is absent. Negatives: random absent pairs; the
// most frequent absent pairs by `popularity`; absent pairs sharing a present
// object's shape (or, failing that, its colour).
struct PopeItem {
  std::string question, answer, pope_type;
};
std::vector<PopeItem> make_pope(const Scene& scene, const PairCounts& popularity);

}  // namespace argus::world
