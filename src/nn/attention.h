// Scaled dot-product attention on [B, H, L, D] tensors, the one place that later
// fused/quantised kernels plug into.
#pragma once
#include <ATen/ATen.h>

namespace argus::nn {

// `mask` is additive (0 / -inf style), broadcastable to [B, H, Lq, Lk], or undefined.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                     double scale);

// Additive causal mask [1, 1, L, L] (0 on and below the diagonal, dtype-min above).
at::Tensor causal_mask(int64_t len, at::ScalarType dtype);
// Additive padding mask [B, 1, 1, L] from a 0/1 attention_mask [B, L].
at::Tensor padding_mask(const at::Tensor& attention_mask, at::ScalarType dtype);

// [B, L, H*D] -> [B, H, L, D] and back.
at::Tensor split_heads(const at::Tensor& x, int64_t heads);
at::Tensor merge_heads(const at::Tensor& x);

}  // namespace argus::nn
