// The Grounding DINO feature enhancer: per layer, image-text fusion
// (bi-directional cross-attention with layer scale), text self-attention
// within phrases (text_enhancer_layer) and multi-scale deformable
// self-attention over the flattened image features (deformable_layer).
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include "models/grounding_dino/deformable_attention.h"
#include "models/grounding_dino/grounding_dino_config.h"
#include "models/grounding_dino/multihead_attention.h"
#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::models::grounding_dino {

struct TextEnhancerLayerImpl : torch::nn::Module {
  explicit TextEnhancerLayerImpl(const GroundingDinoConfig& c);
  // mask: additive [B, 1, L, L] (0 within a phrase, lowest elsewhere).
  at::Tensor forward(const at::Tensor& text, const at::Tensor& mask, const at::Tensor& pos);
  MultiheadAttention self_attn{nullptr};
  nn::Dense fc1{nullptr}, fc2{nullptr};
  torch::nn::LayerNorm layer_norm_before{nullptr}, layer_norm_after{nullptr};
  nn::Activation act;
};
TORCH_MODULE(TextEnhancerLayer);

// GroundingDinoBiMultiHeadAttention: one set of scores image·text used both ways.
struct BiMultiHeadAttentionImpl : torch::nn::Module {
  explicit BiMultiHeadAttentionImpl(const GroundingDinoConfig& c);
  // vision_pad [B, Nv] / text_pad [B, Nt]: true = padding (not attended), or undefined.
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& vision, const at::Tensor& text,
                                            const at::Tensor& vision_pad, const at::Tensor& text_pad);
  nn::Dense vision_proj{nullptr}, text_proj{nullptr}, values_vision_proj{nullptr}, values_text_proj{nullptr},
      out_vision_proj{nullptr}, out_text_proj{nullptr};
  int64_t heads, embed_dim;
};
TORCH_MODULE(BiMultiHeadAttention);

struct FusionLayerImpl : torch::nn::Module {
  explicit FusionLayerImpl(const GroundingDinoConfig& c);
  // Returns updated (vision, text).
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& vision, const at::Tensor& text,
                                            const at::Tensor& vision_pad, const at::Tensor& text_pad);
  torch::nn::LayerNorm layer_norm_vision{nullptr}, layer_norm_text{nullptr};
  BiMultiHeadAttention attn{nullptr};
  at::Tensor vision_param, text_param;  // layer scale
};
TORCH_MODULE(FusionLayer);

struct DeformableLayerImpl : torch::nn::Module {
  explicit DeformableLayerImpl(const GroundingDinoConfig& c);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& valid, const at::Tensor& pos,
                     const at::Tensor& reference_points, const SpatialShapes& shapes);
  MultiscaleDeformableAttention self_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  nn::Dense fc1{nullptr}, fc2{nullptr};
  nn::Activation act;
};
TORCH_MODULE(DeformableLayer);

struct EncoderLayerImpl : torch::nn::Module {
  explicit EncoderLayerImpl(const GroundingDinoConfig& c);
  TextEnhancerLayer text_enhancer_layer{nullptr};
  FusionLayer fusion_layer{nullptr};
  DeformableLayer deformable_layer{nullptr};
};
TORCH_MODULE(EncoderLayer);

struct EncoderInputs {
  at::Tensor vision;          // [B, S, D] flattened multi-level features
  at::Tensor vision_valid;    // [B, S] bool (true = real pixel)
  at::Tensor vision_pos;      // [B, S, D] sine + level embedding
  SpatialShapes shapes;
  at::Tensor text;            // [B, L, D]
  at::Tensor text_valid;      // [B, L] bool (attention_mask)
  at::Tensor text_attention;  // [B, L, L] bool phrase mask
  at::Tensor text_position_ids;  // [B, L] int64
};

struct EncoderImpl : torch::nn::Module {
  explicit EncoderImpl(const GroundingDinoConfig& c);
  // Returns the enhanced (vision [B, S, D], text [B, L, D]).
  std::pair<at::Tensor, at::Tensor> forward(const EncoderInputs& in);
  torch::nn::ModuleList layers{nullptr};
  int64_t d_model;
};
TORCH_MODULE(Encoder);

}  // namespace argus::models::grounding_dino
