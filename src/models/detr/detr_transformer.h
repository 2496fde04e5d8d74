// DETR's encoder-decoder transformer (transformers' DetrEncoder / DetrDecoder, post-norm
// layers). Position embeddings are added to queries and keys only, never to values:
// the encoder's self-attention gets the spatial sine embedding, the decoder's
// self-attention the learned query embedding, and its cross-attention both (query
// embedding on the queries, spatial embedding on the keys).
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include "models/detr/detr_config.h"
#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::models::detr {

// DetrAttention: q_proj/k_proj/v_proj/out_proj. key_padding is an additive mask
// [B, 1, 1, Lk] (0 for real keys, a large negative for padding) or undefined.
struct DetrAttentionImpl : torch::nn::Module {
  DetrAttentionImpl(int64_t dim, int64_t heads);
  at::Tensor forward(const at::Tensor& queries, const at::Tensor& query_pos, const at::Tensor& keys,
                     const at::Tensor& key_pos, const at::Tensor& key_padding);
  nn::Dense q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
  int64_t heads;
};
TORCH_MODULE(DetrAttention);

struct DetrEncoderLayerImpl : torch::nn::Module {
  explicit DetrEncoderLayerImpl(const DetrConfig& c);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& pos, const at::Tensor& key_padding);
  DetrAttention self_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  nn::Dense fc1{nullptr}, fc2{nullptr};
  nn::Activation act;
};
TORCH_MODULE(DetrEncoderLayer);

struct DetrDecoderLayerImpl : torch::nn::Module {
  explicit DetrDecoderLayerImpl(const DetrConfig& c);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& query_pos, const at::Tensor& memory,
                     const at::Tensor& memory_pos, const at::Tensor& key_padding);
  DetrAttention self_attn{nullptr}, encoder_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, encoder_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  nn::Dense fc1{nullptr}, fc2{nullptr};
  nn::Activation act;
};
TORCH_MODULE(DetrDecoderLayer);

struct DetrEncoderImpl : torch::nn::Module {  // no final norm, as the original DETR
  explicit DetrEncoderImpl(const DetrConfig& c);
  at::Tensor forward(at::Tensor x, const at::Tensor& pos, const at::Tensor& key_padding);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(DetrEncoder);

struct DetrDecoderImpl : torch::nn::Module {
  explicit DetrDecoderImpl(const DetrConfig& c);
  // The queries start at zero; returns the last layer's output through `layernorm`.
  at::Tensor forward(const at::Tensor& query_pos, const at::Tensor& memory, const at::Tensor& memory_pos,
                     const at::Tensor& key_padding);
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm layernorm{nullptr};
};
TORCH_MODULE(DetrDecoder);

}  // namespace argus::models::detr
