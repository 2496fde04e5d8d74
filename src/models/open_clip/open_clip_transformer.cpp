#include "models/open_clip/open_clip_transformer.h"

#include <cmath>

#include "nn/attention.h"
#include "util/error.h"

namespace argus::models::open_clip {

torch::nn::LayerNorm clip_layer_norm(int64_t width) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5));
}

PackedAttentionImpl::PackedAttentionImpl(int64_t width, int64_t heads_) : heads(heads_) {
  in_proj_weight = register_parameter("in_proj_weight", at::zeros({3 * width, width}));
  in_proj_bias = register_parameter("in_proj_bias", at::zeros({3 * width}));
  out_proj = register_module("out_proj", nn::dense(width, width));
}

at::Tensor PackedAttentionImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  auto qkv = at::linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);  // rows are q, k, v
  const double scale = 1.0 / std::sqrt(static_cast<double>(x.size(-1) / heads));
  at::Tensor out = nn::attention(nn::split_heads(qkv[0], heads), nn::split_heads(qkv[1], heads),
                                 nn::split_heads(qkv[2], heads), mask, scale);
  return out_proj(nn::merge_heads(out));
}

ClipMlpImpl::ClipMlpImpl(int64_t width, int64_t hidden, const std::string& act_name) : act(nn::activation(act_name)) {
  c_fc = register_module("c_fc", nn::dense(width, hidden));
  c_proj = register_module("c_proj", nn::dense(hidden, width));
}

at::Tensor ClipMlpImpl::forward(const at::Tensor& x) { return c_proj(act(c_fc(x))); }

ResidualBlockImpl::ResidualBlockImpl(int64_t width, int64_t heads, int64_t mlp_width, const std::string& act) {
  ln_1 = register_module("ln_1", clip_layer_norm(width));
  attn = register_module("attn", PackedAttention(width, heads));
  ln_2 = register_module("ln_2", clip_layer_norm(width));
  mlp = register_module("mlp", ClipMlp(width, mlp_width, act));
}

at::Tensor ResidualBlockImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  at::Tensor h = x + attn(ln_1(x), mask);
  return h + mlp(ln_2(h));
}

TransformerImpl::TransformerImpl(int64_t width, int64_t layers, int64_t heads, double mlp_ratio,
                                 const std::string& act) {
  resblocks = register_module("resblocks", torch::nn::ModuleList());
  // open_clip: mlp_width = int(width * mlp_ratio).
  const auto mlp_width = static_cast<int64_t>(static_cast<double>(width) * mlp_ratio);
  for (int64_t i = 0; i < layers; ++i) resblocks->push_back(ResidualBlock(width, heads, mlp_width, act));
}

at::Tensor TransformerImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  at::Tensor h = x;
  for (const auto& block : *resblocks) h = block->as<ResidualBlock>()->forward(h, mask);
  return h;
}

VisionTransformerImpl::VisionTransformerImpl(const VisionConfig& c, int64_t embed_dim, const std::string& act) {
  const int64_t grid = c.image_size / c.patch_size;
  conv1 = register_module(
      "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, c.width, c.patch_size).stride(c.patch_size).bias(false)));
  class_embedding = register_parameter("class_embedding", at::zeros({c.width}));
  positional_embedding = register_parameter("positional_embedding", at::zeros({grid * grid + 1, c.width}));
  ln_pre = register_module("ln_pre", clip_layer_norm(c.width));
  transformer = register_module("transformer", Transformer(c.width, c.layers, c.heads(), c.mlp_ratio, act));
  ln_post = register_module("ln_post", clip_layer_norm(c.width));
  proj = register_parameter("proj", at::zeros({c.width, embed_dim}));
}

at::Tensor VisionTransformerImpl::forward(const at::Tensor& pixel_values, VitStages* stages) {
  at::Tensor patches = conv1(pixel_values).flatten(2).transpose(1, 2);  // [B, grid², W], row-major
  if (patches.size(1) + 1 != positional_embedding.size(0))
    fail("the image gives {} patches but the model has {} positions", patches.size(1), positional_embedding.size(0) - 1);
  at::Tensor cls = class_embedding.view({1, 1, -1}).expand({patches.size(0), 1, -1});
  at::Tensor h = ln_pre(at::cat({cls, patches}, 1) + positional_embedding.unsqueeze(0));
  if (stages) stages->ln_pre = h;
  at::Tensor pooled = ln_post(transformer(h, at::Tensor()).select(1, 0));
  if (stages) stages->pooled = pooled;
  return at::matmul(pooled, proj);
}

}  // namespace argus::models::open_clip
