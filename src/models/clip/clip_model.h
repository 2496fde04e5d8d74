// CLIPModel (transformers layout): text_model, vision_model, the two projections
// and logit_scale. The towers are reused by OWL-ViT, CLIPSeg and LLaVA.
#pragma once
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>

#include "models/clip/clip_config.h"
#include "nn/vit_encoder.h"

namespace argus::models::clip {

struct TowerOutput {
  at::Tensor last_hidden_state, pooler_output;
  std::vector<at::Tensor> hidden_states;  // filled only when asked for
};

struct ClipTextEmbeddingsImpl : torch::nn::Module {
  explicit ClipTextEmbeddingsImpl(const ClipTextConfig& c);
  at::Tensor forward(const at::Tensor& input_ids);
  torch::nn::Embedding token_embedding{nullptr}, position_embedding{nullptr};
};
TORCH_MODULE(ClipTextEmbeddings);

struct ClipTextTransformerImpl : torch::nn::Module {
  explicit ClipTextTransformerImpl(const ClipTextConfig& c);
  // input_ids [B, L]; attention_mask [B, L] of 0/1 or undefined.
  TowerOutput forward(const at::Tensor& input_ids, const at::Tensor& attention_mask, bool hidden_states = false);
  ClipTextConfig cfg;
  ClipTextEmbeddings embeddings{nullptr};
  nn::Encoder encoder{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(ClipTextTransformer);

struct ClipVisionEmbeddingsImpl : torch::nn::Module {
  explicit ClipVisionEmbeddingsImpl(const ClipVisionConfig& c);
  at::Tensor forward(const at::Tensor& pixel_values);
  at::Tensor class_embedding;
  torch::nn::Conv2d patch_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(ClipVisionEmbeddings);

struct ClipVisionTransformerImpl : torch::nn::Module {
  explicit ClipVisionTransformerImpl(const ClipVisionConfig& c);
  // pixel_values [B, 3, H, W]. `stop_after_layers` >= 0 runs only that many encoder
  // layers (LLaVA reads a middle layer and needs nothing after it).
  TowerOutput forward(const at::Tensor& pixel_values, bool hidden_states = false, int64_t stop_after_layers = -1);
  ClipVisionConfig cfg;
  ClipVisionEmbeddings embeddings{nullptr};
  torch::nn::LayerNorm pre_layrnorm{nullptr};  // sic: the checkpoint's spelling
  nn::Encoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};
};
TORCH_MODULE(ClipVisionTransformer);

struct ClipModelImpl : torch::nn::Module {
  explicit ClipModelImpl(const ClipConfig& c);
  at::Tensor image_embeds(const at::Tensor& pixel_values);  // projected, L2-normalised
  at::Tensor text_embeds(const at::Tensor& input_ids, const at::Tensor& attention_mask);
  at::Tensor logits_per_image(const at::Tensor& image_embeds, const at::Tensor& text_embeds);
  ClipConfig cfg;
  ClipTextTransformer text_model{nullptr};
  ClipVisionTransformer vision_model{nullptr};
  nn::Dense visual_projection{nullptr}, text_projection{nullptr};
  at::Tensor logit_scale;
};
TORCH_MODULE(ClipModel);

at::Tensor l2_normalize(const at::Tensor& x);

}  // namespace argus::models::clip

namespace argus::io { class Checkpoint; }
namespace argus::models::clip {
// Builds a CLIPModel from the checkpoint's config and loads its weights strictly.
ClipModel load_clip_model(const io::Checkpoint& ck);
}  // namespace argus::models::clip
