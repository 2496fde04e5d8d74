#include "nn/token_ids.h"

#include "util/error.h"

namespace argus::nn {

void check_token_ids(const at::Tensor& input_ids, int64_t vocab_size) {
  if (input_ids.dim() != 2) fail("input_ids must be [batch, length], got {} dims", input_ids.dim());
  if (input_ids.numel() == 0) return;
  int64_t lo = input_ids.min().item<int64_t>(), hi = input_ids.max().item<int64_t>();
  if (lo < 0 || hi >= vocab_size) fail("token id {} is out of the vocabulary (size {})", lo < 0 ? lo : hi, vocab_size);
}

}  // namespace argus::nn
