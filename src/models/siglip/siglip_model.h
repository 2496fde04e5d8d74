// SiglipModel (transformers layout): CLIP-like towers without a class token, an
// attention-pooling head on the vision side, a linear head on the last text token,
// and sigmoid logits with a learned bias.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>

#include "models/clip/clip_config.h"
#include "models/clip/clip_model.h"
#include "nn/vit_encoder.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::siglip {

using clip::TowerOutput;

struct SiglipConfig {
  clip::ClipTextConfig text;
  clip::ClipVisionConfig vision;
  int64_t projection_size = 768;
  bool vision_use_head = true;
};
SiglipConfig parse_config(const nlohmann::json& j);

struct SiglipVisionEmbeddingsImpl : torch::nn::Module {
  explicit SiglipVisionEmbeddingsImpl(const clip::ClipVisionConfig& c);
  at::Tensor forward(const at::Tensor& pixel_values);
  torch::nn::Conv2d patch_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(SiglipVisionEmbeddings);

// nn.MultiheadAttention's parameter layout: packed in_proj + out_proj.
struct PackedAttentionImpl : torch::nn::Module {
  PackedAttentionImpl(int64_t hidden, int64_t heads);
  at::Tensor forward(const at::Tensor& query, const at::Tensor& kv);
  int64_t hidden, heads;
  at::Tensor in_proj_weight, in_proj_bias;
  nn::Dense out_proj{nullptr};
};
TORCH_MODULE(PackedAttention);

struct SiglipPoolingHeadImpl : torch::nn::Module {
  explicit SiglipPoolingHeadImpl(const nn::EncoderDims& d);
  at::Tensor forward(const at::Tensor& hidden);
  at::Tensor probe;
  PackedAttention attention{nullptr};
  torch::nn::LayerNorm layernorm{nullptr};
  nn::Mlp mlp{nullptr};
};
TORCH_MODULE(SiglipPoolingHead);

struct SiglipVisionTransformerImpl : torch::nn::Module {
  SiglipVisionTransformerImpl(const clip::ClipVisionConfig& c, bool use_head);
  TowerOutput forward(const at::Tensor& pixel_values, bool hidden_states = false);
  SiglipVisionEmbeddings embeddings{nullptr};
  nn::Encoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};
  SiglipPoolingHead head{nullptr};
};
TORCH_MODULE(SiglipVisionTransformer);

struct SiglipTextTransformerImpl : torch::nn::Module {
  SiglipTextTransformerImpl(const clip::ClipTextConfig& c, int64_t projection_size);
  TowerOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask, bool hidden_states = false);
  clip::ClipTextEmbeddings embeddings{nullptr};
  nn::Encoder encoder{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};
  nn::Dense head{nullptr};
};
TORCH_MODULE(SiglipTextTransformer);

struct SiglipModelImpl : torch::nn::Module {
  explicit SiglipModelImpl(const SiglipConfig& c);
  at::Tensor image_embeds(const at::Tensor& pixel_values);
  at::Tensor text_embeds(const at::Tensor& input_ids, const at::Tensor& attention_mask);
  at::Tensor logits_per_image(const at::Tensor& image_embeds, const at::Tensor& text_embeds);
  SiglipConfig cfg;
  SiglipTextTransformer text_model{nullptr};
  SiglipVisionTransformer vision_model{nullptr};
  at::Tensor logit_scale, logit_bias;
};
TORCH_MODULE(SiglipModel);

SiglipModel load_siglip_model(const io::Checkpoint& ck);

}  // namespace argus::models::siglip
