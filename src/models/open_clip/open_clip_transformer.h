// The transformer of OpenAI's clip/model.py, shared by the ViT image tower and the text
// tower, under the checkpoint's names: resblocks.N.{ln_1, attn.{in_proj_weight,
// in_proj_bias, out_proj}, ln_2, mlp.{c_fc, c_proj}} (nn.MultiheadAttention's packed q/k/v).
#pragma once
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include "models/open_clip/open_clip_config.h"
#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::models::open_clip {

struct PackedAttentionImpl : torch::nn::Module {
  PackedAttentionImpl(int64_t width, int64_t heads);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask);  // x [B, L, W]
  int64_t heads;
  at::Tensor in_proj_weight, in_proj_bias;
  nn::Dense out_proj{nullptr};
};
TORCH_MODULE(PackedAttention);

struct ClipMlpImpl : torch::nn::Module {
  ClipMlpImpl(int64_t width, int64_t hidden, const std::string& act);
  at::Tensor forward(const at::Tensor& x);
  nn::Activation act;
  nn::Dense c_fc{nullptr}, c_proj{nullptr};
};
TORCH_MODULE(ClipMlp);

struct ResidualBlockImpl : torch::nn::Module {
  ResidualBlockImpl(int64_t width, int64_t heads, int64_t mlp_width, const std::string& act);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask);
  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  PackedAttention attn{nullptr};
  ClipMlp mlp{nullptr};
};
TORCH_MODULE(ResidualBlock);

struct TransformerImpl : torch::nn::Module {
  TransformerImpl(int64_t width, int64_t layers, int64_t heads, double mlp_ratio, const std::string& act);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask);
  torch::nn::ModuleList resblocks{nullptr};
};
TORCH_MODULE(Transformer);

struct VitStages {
  at::Tensor ln_pre, pooled;  // the transformer's input; ln_post of the class token
};

struct VisionTransformerImpl : torch::nn::Module {
  VisionTransformerImpl(const VisionConfig& c, int64_t embed_dim, const std::string& act);
  at::Tensor forward(const at::Tensor& pixel_values, VitStages* stages = nullptr);
  torch::nn::Conv2d conv1{nullptr};
  at::Tensor class_embedding, positional_embedding, proj;
  torch::nn::LayerNorm ln_pre{nullptr}, ln_post{nullptr};
  Transformer transformer{nullptr};
};
TORCH_MODULE(VisionTransformer);

torch::nn::LayerNorm clip_layer_norm(int64_t width);  // eps 1e-5, as clip/model.py

}  // namespace argus::models::open_clip
