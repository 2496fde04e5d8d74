// Checks on token ids before an embedding lookup, so that a bad id is an error naming
// it rather than an out-of-range read.
#pragma once
#include <cstdint>

#include <ATen/ATen.h>

namespace argus::nn {

// input_ids must be [batch, length] with every id in [0, vocab_size); else argus::Error.
void check_token_ids(const at::Tensor& input_ids, int64_t vocab_size);

}  // namespace argus::nn
