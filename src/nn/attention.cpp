#include "nn/attention.h"

#include <limits>

namespace argus::nn {

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                     double scale) {
  // Many queries over a handful of keys (SAM's image-to-token attention: 4096 x 7):
  // a softmax along a 7-wide last axis runs LibTorch's slow path, so score keys x
  // queries instead and normalise along the key axis there; same arithmetic.
  if (!mask.defined() && k.size(-2) < 16 && q.size(-2) >= 256) {
    at::Tensor scores_t = at::matmul(k, q.transpose(-1, -2));  // [..., Lk, Lq]
    scores_t.mul_(scale);
    return at::matmul(at::softmax(scores_t, -2).transpose(-1, -2), v);
  }
  at::Tensor scores = at::matmul(q, k.transpose(-1, -2));
  if (mask.defined())
    scores = at::add(mask, scores, scale);  // mask + scale * q·k in one pass
  else
    scores.mul_(scale);
  return at::matmul(at::softmax(scores, -1), v);
}

at::Tensor causal_mask(int64_t len, at::ScalarType dtype) {
  double lowest = -std::numeric_limits<float>::max();
  if (dtype == at::kHalf) lowest = -65504.0;
  return at::full({len, len}, lowest, at::TensorOptions().dtype(dtype)).triu(1).view({1, 1, len, len});
}

at::Tensor padding_mask(const at::Tensor& attention_mask, at::ScalarType dtype) {
  double lowest = -std::numeric_limits<float>::max();
  if (dtype == at::kHalf) lowest = -65504.0;
  at::Tensor keep = attention_mask.to(at::kBool).unsqueeze(1).unsqueeze(1);
  return at::zeros(keep.sizes(), at::TensorOptions().dtype(dtype)).masked_fill(keep.logical_not(), lowest);
}

at::Tensor split_heads(const at::Tensor& x, int64_t heads) {
  auto b = x.size(0), l = x.size(1);
  return x.view({b, l, heads, x.size(2) / heads}).transpose(1, 2);
}

at::Tensor merge_heads(const at::Tensor& x) {
  auto b = x.size(0), h = x.size(1), l = x.size(2), d = x.size(3);
  return x.transpose(1, 2).reshape({b, l, h * d});
}

}  // namespace argus::nn
