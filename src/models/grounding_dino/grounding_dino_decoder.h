// The Grounding DINO decoder: queries go through self-attention, text
// cross-attention and deformable image cross-attention; after each layer the
// shared box head refines the reference boxes (iterative box refinement).
#pragma once
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include "models/grounding_dino/deformable_attention.h"
#include "models/grounding_dino/grounding_dino_config.h"
#include "models/grounding_dino/mlp_head.h"
#include "models/grounding_dino/multihead_attention.h"
#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::models::grounding_dino {

struct DecoderLayerImpl : torch::nn::Module {
  explicit DecoderLayerImpl(const GroundingDinoConfig& c);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& query_pos, const at::Tensor& reference_points,
                     const SpatialShapes& shapes, const at::Tensor& vision, const at::Tensor& vision_valid,
                     const at::Tensor& text, const at::Tensor& text_mask);
  MultiheadAttention self_attn{nullptr}, encoder_attn_text{nullptr};
  MultiscaleDeformableAttention encoder_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, encoder_attn_text_layer_norm{nullptr},
      encoder_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  nn::Dense fc1{nullptr}, fc2{nullptr};
  nn::Activation act;
};
TORCH_MODULE(DecoderLayer);

struct DecoderOutput {
  std::vector<at::Tensor> hidden;      // per layer, after the final layer_norm [B, Q, D]
  std::vector<at::Tensor> references;  // per layer, the refined boxes (cx, cy, w, h) [B, Q, 4]
};

struct DecoderImpl : torch::nn::Module {
  explicit DecoderImpl(const GroundingDinoConfig& c);
  // `box_heads[i]` refines after layer i (the detection model's bbox_embed).
  DecoderOutput forward(const at::Tensor& target, const at::Tensor& reference_points, const SpatialShapes& shapes,
                        const at::Tensor& vision, const at::Tensor& vision_valid, const at::Tensor& text,
                        const at::Tensor& text_valid, std::vector<MLPPredictionHead> box_heads);
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::ModuleList layers{nullptr};
  MLPPredictionHead reference_points_head{nullptr};
  int64_t d_model, heads, num_levels;
};
TORCH_MODULE(Decoder);

// torch.special.logit(x, eps): log(x / (1 - x)) of x clamped to [eps, 1 - eps].
at::Tensor inverse_sigmoid(const at::Tensor& x, double eps = 1e-5);

}  // namespace argus::models::grounding_dino
