// The masks of a causal decoder over its KV cache, shared by the Llama-shaped decoders
// and OPT: which positions (cached and new) are real tokens, and the additive mask
// that lets each new position see only earlier real ones.
#pragma once
#include <cstdint>

#include <ATen/ATen.h>

#include "nn/kv_cache.h"

namespace argus::nn {

// The 0/1 mask [B, T] of every position, cached and new (T = cache.length() + len).
// `attention_mask` covers the new positions [B, len] or all of them [B, T]; undefined
// = all ones. Any other shape is argus::Error.
at::Tensor decoder_keep_mask(const KvCache& cache, int64_t batch, int64_t len, const at::Tensor& attention_mask);

// Additive mask [B, 1, L, T]: query i (absolute position past + i) sees key j when
// j <= past + i, the key is not padding, and (with a window > 0) past + i - j < window.
at::Tensor decoder_mask(const at::Tensor& keep, int64_t past, int64_t len, int64_t window, at::ScalarType dtype);

}  // namespace argus::nn
