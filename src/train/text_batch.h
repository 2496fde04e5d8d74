// Texts -> one padded id tensor for a text tower, truncated to its context with the
// end-of-text token kept last (where CLIP pools).
#pragma once
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "text/tokenizer.h"

namespace argus::train {

struct TokenBatch {
  at::Tensor ids;      // [M, max_len], padded with `pad_id`
  at::Tensor lengths;  // [M]
};

TokenBatch tokenize_batch(const text::Tokenizer& tok, const std::vector<std::string>& texts, int64_t max_len,
                          int64_t pad_id);

}  // namespace argus::train
