// GroundingDinoMultiheadAttention: nn.MultiheadAttention semantics under the
// checkpoint's names query/key/value/out_proj (text enhancer, decoder self- and
// text cross-attention).
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "nn/dense.h"

namespace argus::models::grounding_dino {

struct MultiheadAttentionImpl : torch::nn::Module {
  MultiheadAttentionImpl(int64_t dim, int64_t heads);
  // queries [B, Lq, D], keys/values [B, Lk, D]; mask additive, broadcastable to [B, H, Lq, Lk], or undefined.
  at::Tensor forward(const at::Tensor& queries, const at::Tensor& keys, const at::Tensor& values,
                     const at::Tensor& mask);
  nn::Dense query{nullptr}, key{nullptr}, value{nullptr}, out_proj{nullptr};
  int64_t heads;
};
TORCH_MODULE(MultiheadAttention);

}  // namespace argus::models::grounding_dino
