// Swin Transformer as transformers' SwinBackbone (the Grounding DINO image
// backbone): patch embedding, stages of windowed self-attention (every second
// block shifted by half a window) with a learned relative position bias, patch
// merging between stages, and a LayerNorm per returned stage. As the backbone
// always partitions into full windows, feature maps are padded up to a multiple
// of the window size (never shrinking the window, unlike SwinModel).
// Parameter names follow the checkpoint: embeddings.*, encoder.layers.N.*,
// hidden_states_norms.stageK.*.
#pragma once
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/moduledict.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include "models/grounding_dino/grounding_dino_config.h"
#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::models::grounding_dino {

struct SwinPatchEmbeddingsImpl : torch::nn::Module {
  explicit SwinPatchEmbeddingsImpl(const SwinConfig& c);
  torch::nn::Conv2d projection{nullptr};
  int64_t patch_size;
};
TORCH_MODULE(SwinPatchEmbeddings);

struct SwinEmbeddingsImpl : torch::nn::Module {
  explicit SwinEmbeddingsImpl(const SwinConfig& c);
  // pixel_values [B, C, H, W] (padded right/bottom to the patch size) -> tokens [B, h*w, D], grid (h, w).
  at::Tensor forward(const at::Tensor& pixel_values, int64_t& h, int64_t& w);
  SwinPatchEmbeddings patch_embeddings{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(SwinEmbeddings);

// attention.self.{query,key,value,relative_position_bias_table} + attention.output.dense
struct SwinSelfAttentionImpl : torch::nn::Module {
  SwinSelfAttentionImpl(int64_t dim, int64_t heads, int64_t window, bool qkv_bias);
  // windows [N*nW, window², D]; mask [nW, window², window²] additive or undefined.
  at::Tensor forward(const at::Tensor& windows, const at::Tensor& mask);
  nn::Dense query{nullptr}, key{nullptr}, value{nullptr};
  at::Tensor relative_position_bias_table;
  at::Tensor relative_position_index;  // computed, not in the checkpoint
  int64_t heads, window;
};
TORCH_MODULE(SwinSelfAttention);

struct SwinSelfOutputImpl : torch::nn::Module {
  explicit SwinSelfOutputImpl(int64_t dim) { dense = register_module("dense", nn::dense(dim, dim)); }
  nn::Dense dense{nullptr};
};
TORCH_MODULE(SwinSelfOutput);

struct SwinAttentionImpl : torch::nn::Module {
  SwinAttentionImpl(int64_t dim, int64_t heads, int64_t window, bool qkv_bias);
  SwinSelfAttention self{nullptr};
  SwinSelfOutput output{nullptr};
};
TORCH_MODULE(SwinAttention);

struct SwinDenseImpl : torch::nn::Module {  // intermediate / output: a module holding `dense`
  SwinDenseImpl(int64_t in, int64_t out) { dense = register_module("dense", nn::dense(in, out)); }
  nn::Dense dense{nullptr};
};
TORCH_MODULE(SwinDense);

struct SwinLayerImpl : torch::nn::Module {
  SwinLayerImpl(const SwinConfig& c, int64_t dim, int64_t heads, int64_t shift);
  at::Tensor forward(const at::Tensor& x, int64_t h, int64_t w);
  torch::nn::LayerNorm layernorm_before{nullptr}, layernorm_after{nullptr};
  SwinAttention attention{nullptr};
  SwinDense intermediate{nullptr}, output{nullptr};
  nn::Activation act;
  int64_t window, shift;
};
TORCH_MODULE(SwinLayer);

// Concatenates each 2x2 neighbourhood (padding odd sizes), norm, then a bias-free reduction to 2*dim.
struct SwinPatchMergingImpl : torch::nn::Module {
  SwinPatchMergingImpl(int64_t dim, double eps);
  at::Tensor forward(const at::Tensor& x, int64_t h, int64_t w);
  torch::nn::LayerNorm norm{nullptr};
  nn::Dense reduction{nullptr};
};
TORCH_MODULE(SwinPatchMerging);

struct SwinStageImpl : torch::nn::Module {
  SwinStageImpl(const SwinConfig& c, int64_t index);
  torch::nn::ModuleList blocks{nullptr};
  SwinPatchMerging downsample{nullptr};  // absent on the last stage
};
TORCH_MODULE(SwinStage);

struct SwinEncoderImpl : torch::nn::Module {
  explicit SwinEncoderImpl(const SwinConfig& c);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(SwinEncoder);

struct SwinBackboneImpl : torch::nn::Module {
  explicit SwinBackboneImpl(const SwinConfig& c);
  // Feature maps [B, C_k, H_k, W_k] of the configured out_indices, in order.
  std::vector<at::Tensor> forward(const at::Tensor& pixel_values);
  std::vector<int64_t> channels() const;

  SwinConfig cfg;
  SwinEmbeddings embeddings{nullptr};
  SwinEncoder encoder{nullptr};
  torch::nn::ModuleDict hidden_states_norms{nullptr};
};
TORCH_MODULE(SwinBackbone);

}  // namespace argus::models::grounding_dino
