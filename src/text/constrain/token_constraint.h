// What constrained decoding needs from a grammar, per generated token: which vocabulary
// ids may come next and whether the output may end here. Generation (tasks/generate)
// masks the logits with it; implementations stay torch-free.
#pragma once
#include <cstdint>
#include <vector>

namespace argus::text::constrain {

class TokenConstraint {
 public:
  virtual ~TokenConstraint() = default;
  // allowed[id] = 1 for ids that may come next (allowed has one slot per logit; ids past
  // the vocabulary stay 0). may_end: the output is complete here, so end-of-sequence is
  // allowed too.
  virtual void next_allowed(std::vector<uint8_t>& allowed, bool& may_end) = 0;
  // The chosen token (one of the allowed).
  virtual void accept(int64_t id) = 0;
};

}  // namespace argus::text::constrain
