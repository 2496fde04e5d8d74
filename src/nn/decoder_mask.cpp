#include "nn/decoder_mask.h"

#include <limits>

#include "util/error.h"

namespace argus::nn {

namespace {

double lowest_for(at::ScalarType t) {
  if (t == at::kHalf) return -65504.0;
  if (t == at::kBFloat16) return -3.3895313892515355e38;
  return -std::numeric_limits<float>::max();
}

}  // namespace

at::Tensor decoder_keep_mask(const KvCache& cache, int64_t b, int64_t len, const at::Tensor& attention_mask) {
  const int64_t past = cache.length(), total = past + len;
  at::Tensor cached = cache.attention_mask.defined() ? cache.attention_mask
                                                     : at::ones({b, past}, at::TensorOptions().dtype(at::kLong));
  if (!attention_mask.defined()) return at::cat({cached, at::ones({b, len}, at::TensorOptions().dtype(at::kLong))}, 1);
  if (attention_mask.dim() != 2 || attention_mask.size(0) != b)
    fail("attention_mask must be [{}, length], got {} dims of batch {}", b, attention_mask.dim(),
         attention_mask.dim() ? attention_mask.size(0) : 0);
  at::Tensor m = attention_mask.to(at::kLong);
  if (m.size(1) == total) return m;
  if (m.size(1) == len) return at::cat({cached, m}, 1);
  fail("attention_mask covers {} positions; expected {} (new) or {} (cached + new)", m.size(1), len, total);
}

at::Tensor decoder_mask(const at::Tensor& keep, int64_t past, int64_t len, int64_t window, at::ScalarType dtype) {
  int64_t total = keep.size(1);
  at::Tensor qi = at::arange(past, past + len, at::kLong).view({len, 1});
  at::Tensor kj = at::arange(total, at::kLong).view({1, total});
  at::Tensor allowed = kj <= qi;
  if (window > 0) allowed = allowed.logical_and((qi - kj) < window);
  allowed = allowed.unsqueeze(0).logical_and(keep.to(at::kBool).unsqueeze(1));  // [B, L, T]
  return at::zeros(allowed.sizes(), at::TensorOptions().dtype(dtype))
      .masked_fill(allowed.logical_not(), lowest_for(dtype))
      .unsqueeze(1);
}

}  // namespace argus::nn
