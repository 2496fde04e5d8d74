// Blip2VisionModel (transformers layout "vision_model."): patch embedding with bias,
// class token and learned positions, a pre-norm encoder whose attention packs q, k, v
// in one `qkv` linear (the key part without bias) and projects with `projection`,
// then `post_layernorm` over every token.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include "models/blip2/blip2_config.h"
#include "nn/dense.h"
#include "nn/vit_encoder.h"

namespace argus::models::blip2 {

struct Blip2VisionEmbeddingsImpl : torch::nn::Module {
  explicit Blip2VisionEmbeddingsImpl(const Blip2VisionConfig& c);
  at::Tensor forward(const at::Tensor& pixel_values);  // [B, 1 + patches, hidden]
  at::Tensor class_embedding;                          // [1, 1, hidden]
  torch::nn::Conv2d patch_embedding{nullptr};
  at::Tensor position_embedding;  // [1, 1 + patches, hidden]
};
TORCH_MODULE(Blip2VisionEmbeddings);

struct Blip2AttentionImpl : torch::nn::Module {
  explicit Blip2AttentionImpl(const Blip2VisionConfig& c);
  at::Tensor forward(const at::Tensor& x);
  int64_t heads;
  double scale;
  nn::Dense qkv{nullptr}, projection{nullptr};
  at::Tensor q_bias, v_bias;  // the transformers 4 layout's, else undefined
};
TORCH_MODULE(Blip2Attention);

struct Blip2EncoderLayerImpl : torch::nn::Module {
  explicit Blip2EncoderLayerImpl(const Blip2VisionConfig& c);
  at::Tensor forward(const at::Tensor& x);
  Blip2Attention self_attn{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  nn::Mlp mlp{nullptr};
};
TORCH_MODULE(Blip2EncoderLayer);

struct Blip2EncoderImpl : torch::nn::Module {
  explicit Blip2EncoderImpl(const Blip2VisionConfig& c);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(Blip2Encoder);

struct Blip2VisionModelImpl : torch::nn::Module {
  explicit Blip2VisionModelImpl(const Blip2VisionConfig& c);
  // pixel_values [B, 3, image_size, image_size] -> last_hidden_state [B, 1 + patches, hidden]
  // (post_layernorm applied, as the Q-Former reads it).
  at::Tensor forward(const at::Tensor& pixel_values);
  Blip2VisionConfig cfg;
  Blip2VisionEmbeddings embeddings{nullptr};
  Blip2Encoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};
};
TORCH_MODULE(Blip2VisionModel);

}  // namespace argus::models::blip2
