// What generation needs of a decoder, whatever its layout: logits from ids or from
// input embeddings (a multimodal prompt) over a KV cache, and how many positions it
// holds. OPT implements it; the Llama-shaped decoders are adapted to it in
// tasks/generate, so generate() and sampling serve every family through it.
#pragma once
#include <cstdint>

#include <ATen/ATen.h>

#include "nn/kv_cache.h"

namespace argus::nn {

struct CausalLm {
  virtual ~CausalLm() = default;
  // input_ids [B, L] / inputs_embeds [B, L, hidden] -> float32 logits [B, L', vocab]
  // (L' = L, or the last `logits_to_keep` when > 0). `attention_mask` 0/1 covers the new
  // positions or the cached ones too (left padding); undefined = all ones.
  virtual at::Tensor forward_ids(const at::Tensor& input_ids, KvCache* cache, const at::Tensor& attention_mask,
                                 int64_t logits_to_keep) = 0;
  virtual at::Tensor forward_inputs_embeds(const at::Tensor& inputs_embeds, KvCache* cache,
                                           const at::Tensor& attention_mask, int64_t logits_to_keep) = 0;
  virtual KvCache make_cache() const = 0;
  // The most positions a sequence may take; -1 when unbounded (dynamic RoPE).
  virtual int64_t position_limit() const = 0;
};

}  // namespace argus::nn
