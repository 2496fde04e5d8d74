// SamModel (transformers layout; registered names are the checkpoint keys):
// shared_image_embedding, vision_encoder (ViT with windowed + global attention and
// decomposed relative positions, conv neck), prompt_encoder (random Fourier point
// encoding, point/box/mask prompts) and mask_decoder (two-way transformer,
// upscaling, hypernetwork MLPs, IoU head).
#pragma once
#include <memory>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

#include "models/sam/sam_config.h"
#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::sam {

// LayerNorm over the channel dim of [B, C, H, W] (SamLayerNorm channels_first).
struct LayerNorm2dImpl : torch::nn::Module {
  LayerNorm2dImpl(int64_t channels, double eps);
  at::Tensor forward(const at::Tensor& x);
  double eps;
  at::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm2d);

// lin1 -> act -> lin2 (SamMLPBlock).
struct SamMlpImpl : torch::nn::Module {
  SamMlpImpl(int64_t hidden, int64_t mlp_dim, const std::string& act);
  at::Tensor forward(const at::Tensor& x);
  nn::Activation act;
  nn::Dense lin1{nullptr}, lin2{nullptr};
};
TORCH_MODULE(SamMlp);

// ---------------------------------------------------------------- vision encoder

struct SamPatchEmbedImpl : torch::nn::Module {
  explicit SamPatchEmbedImpl(const SamVisionConfig& c);
  at::Tensor forward(const at::Tensor& pixel_values);  // -> [B, H, W, C]
  torch::nn::Conv2d projection{nullptr};
};
TORCH_MODULE(SamPatchEmbed);

struct SamVisionAttentionImpl : torch::nn::Module {
  SamVisionAttentionImpl(const SamVisionConfig& c, int64_t window_size);
  at::Tensor forward(const at::Tensor& x);  // [B, H, W, C]
  int64_t heads;
  double scale;
  bool use_rel_pos;
  nn::Dense qkv{nullptr}, proj{nullptr};
  at::Tensor rel_pos_h, rel_pos_w;
};
TORCH_MODULE(SamVisionAttention);

struct SamVisionLayerImpl : torch::nn::Module {
  SamVisionLayerImpl(const SamVisionConfig& c, int64_t window_size);
  at::Tensor forward(const at::Tensor& x);  // [B, H, W, C]
  int64_t window_size;  // 0 = global attention
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  SamVisionAttention attn{nullptr};
  SamMlp mlp{nullptr};
};
TORCH_MODULE(SamVisionLayer);

struct SamVisionNeckImpl : torch::nn::Module {
  explicit SamVisionNeckImpl(const SamVisionConfig& c);
  at::Tensor forward(const at::Tensor& x);  // [B, H, W, C] -> [B, out, H, W]
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  LayerNorm2d layer_norm1{nullptr}, layer_norm2{nullptr};
};
TORCH_MODULE(SamVisionNeck);

struct SamVisionEncoderImpl : torch::nn::Module {
  explicit SamVisionEncoderImpl(const SamVisionConfig& c);
  at::Tensor forward(const at::Tensor& pixel_values);  // -> image embeddings [B, out, grid, grid]
  SamVisionConfig cfg;
  SamPatchEmbed patch_embed{nullptr};
  at::Tensor pos_embed;  // [1, grid, grid, C] when use_abs_pos
  torch::nn::ModuleList layers{nullptr};
  SamVisionNeck neck{nullptr};
};
TORCH_MODULE(SamVisionEncoder);

// ---------------------------------------------------------------- prompt encoder

// Random Fourier features: buffer `positional_embedding` [2, num_pos_feats].
struct SamPositionalEmbeddingImpl : torch::nn::Module {
  explicit SamPositionalEmbeddingImpl(int64_t num_pos_feats);
  // coords [..., 2] (x, y); divided by (width, height) first when `size` > 0, the
  // normalisation done in float64 as transformers does on its float64 prompts.
  at::Tensor forward(const at::Tensor& coords, int64_t size = 0);
  at::Tensor positional_embedding;
};
TORCH_MODULE(SamPositionalEmbedding);

struct SamMaskEmbeddingImpl : torch::nn::Module {
  explicit SamMaskEmbeddingImpl(const SamPromptEncoderConfig& c);
  at::Tensor forward(const at::Tensor& masks);  // [B, 1, 4g, 4g] -> [B, hidden, g, g]
  nn::Activation act;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  LayerNorm2d layer_norm1{nullptr}, layer_norm2{nullptr};
};
TORCH_MODULE(SamMaskEmbedding);

struct SamPromptEncoderImpl : torch::nn::Module {
  // `shared` is SamModel's shared_image_embedding (tied, not registered here).
  SamPromptEncoderImpl(const SamPromptEncoderConfig& c, SamPositionalEmbedding shared);
  // points [B, P, N, 2] (1024-space), labels [B, P, N] (1 / 0 / -1), boxes [B, P, 4],
  // masks [B, 1, 256, 256]; any may be undefined. Returns sparse [B, P, T, C]
  // (undefined when there are neither points nor boxes) and dense [B, C, g, g].
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& points, const at::Tensor& labels,
                                            const at::Tensor& boxes, const at::Tensor& masks, int64_t batch);
  SamPromptEncoderConfig cfg;
  SamPositionalEmbedding shared{nullptr};
  SamMaskEmbedding mask_embed{nullptr};
  torch::nn::Embedding no_mask_embed{nullptr}, not_a_point_embed{nullptr};
  torch::nn::ModuleList point_embed{nullptr};

 private:
  at::Tensor point_weight(int64_t i);
};
TORCH_MODULE(SamPromptEncoder);

// ---------------------------------------------------------------- mask decoder

// Attention with q/k/v projected down to hidden / downsample_rate (SamAttention).
struct SamAttentionImpl : torch::nn::Module {
  SamAttentionImpl(int64_t hidden, int64_t heads, int64_t downsample_rate);
  at::Tensor forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);  // [N, L, C]
  int64_t heads;
  nn::Dense q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
};
TORCH_MODULE(SamAttention);

struct SamTwoWayBlockImpl : torch::nn::Module {
  SamTwoWayBlockImpl(const SamMaskDecoderConfig& c, bool skip_first_layer_pe);
  // queries [N, T, C], keys [N, HW, C]; updates both.
  void forward(at::Tensor& queries, at::Tensor& keys, const at::Tensor& query_pe, const at::Tensor& key_pe);
  bool skip_first_layer_pe;
  SamAttention self_attn{nullptr}, cross_attn_token_to_image{nullptr}, cross_attn_image_to_token{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr}, layer_norm3{nullptr}, layer_norm4{nullptr};
  SamMlp mlp{nullptr};
};
TORCH_MODULE(SamTwoWayBlock);

struct SamTwoWayTransformerImpl : torch::nn::Module {
  explicit SamTwoWayTransformerImpl(const SamMaskDecoderConfig& c);
  // tokens [N, T, C]; image, image_pe [N, C, h, w]. Returns (queries, keys [N, hw, C]).
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& tokens, const at::Tensor& image,
                                            const at::Tensor& image_pe);
  torch::nn::ModuleList layers{nullptr};
  SamAttention final_attn_token_to_image{nullptr};
  torch::nn::LayerNorm layer_norm_final_attn{nullptr};
};
TORCH_MODULE(SamTwoWayTransformer);

// proj_in -> relu -> (layers -> relu)* -> proj_out (SamFeedForward).
struct SamFeedForwardImpl : torch::nn::Module {
  SamFeedForwardImpl(int64_t in, int64_t hidden, int64_t out, int64_t num_layers);
  at::Tensor forward(const at::Tensor& x);
  nn::Dense proj_in{nullptr}, proj_out{nullptr};
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(SamFeedForward);

struct SamMaskDecoderImpl : torch::nn::Module {
  explicit SamMaskDecoderImpl(const SamMaskDecoderConfig& c);
  // image_embeddings, image_pe [B, C, g, g]; sparse [B, P, T, C] or undefined;
  // dense [B, C, g, g]. Returns (masks [B, P, M, 4g, 4g], iou [B, P, M]) with M = 3
  // (multimask: tokens 1..) or 1 (token 0).
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& image_embeddings, const at::Tensor& image_pe,
                                            const at::Tensor& sparse, const at::Tensor& dense, bool multimask);
  SamMaskDecoderConfig cfg;
  int64_t num_mask_tokens;
  torch::nn::Embedding iou_token{nullptr}, mask_tokens{nullptr};
  SamTwoWayTransformer transformer{nullptr};
  torch::nn::ConvTranspose2d upscale_conv1{nullptr}, upscale_conv2{nullptr};
  LayerNorm2d upscale_layer_norm{nullptr};
  torch::nn::ModuleList output_hypernetworks_mlps{nullptr};
  SamFeedForward iou_prediction_head{nullptr};
};
TORCH_MODULE(SamMaskDecoder);

// ---------------------------------------------------------------- model

struct SamPrediction {
  at::Tensor iou_scores;     // [B, P, M]
  at::Tensor low_res_masks;  // [B, P, M, 256, 256] logits (transformers' pred_masks)
};

struct SamModelImpl : torch::nn::Module {
  explicit SamModelImpl(const SamConfig& c);

  // pixel_values [B, 3, 1024, 1024] (preprocessed, padded) -> [B, C, 64, 64].
  at::Tensor image_embeddings(const at::Tensor& pixel_values);

  // Prompts are in the 1024-space of the resized image (see rescale_prompt_coords).
  // points [B, N, 2] or [B, P, N, 2]; labels [B, N] / [B, P, N] of 1 (foreground),
  // 0 (background), -1 (not a point), undefined = all 1; boxes [B, P, 4] (x1 y1 x2 y2);
  // mask_input [B, 1, 256, 256] low-res logits. Any prompt may be undefined; with
  // both points and boxes, P must agree. Bad shapes or labels are argus::Error.
  SamPrediction predict(const at::Tensor& image_embeddings, const at::Tensor& points, const at::Tensor& labels,
                        const at::Tensor& boxes, const at::Tensor& mask_input = {}, bool multimask = true);

  // Dense positional encoding of the embedding grid [1, C, g, g].
  at::Tensor image_wide_positional_embeddings();

  SamConfig cfg;
  SamPositionalEmbedding shared_image_embedding{nullptr};
  SamVisionEncoder vision_encoder{nullptr};
  SamPromptEncoder prompt_encoder{nullptr};
  SamMaskDecoder mask_decoder{nullptr};
};
TORCH_MODULE(SamModel);

// Builds a SamModel from the checkpoint's config and loads its weights strictly.
SamModel load_sam_model(const io::Checkpoint& ck);

}  // namespace argus::models::sam
