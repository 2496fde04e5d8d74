#include "models/blip2/blip2_vision.h"

#include <cmath>

#include "nn/attention.h"

namespace argus::models::blip2 {

Blip2VisionEmbeddingsImpl::Blip2VisionEmbeddingsImpl(const Blip2VisionConfig& c) {
  class_embedding = register_parameter("class_embedding", at::zeros({1, 1, c.hidden_size}));
  patch_embedding = register_module(
      "patch_embedding",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, c.hidden_size, c.patch_size).stride(c.patch_size).bias(true)));
  position_embedding = register_parameter("position_embedding", at::zeros({1, c.num_patches() + 1, c.hidden_size}));
}

at::Tensor Blip2VisionEmbeddingsImpl::forward(const at::Tensor& pixel_values) {
  at::Tensor patches = patch_embedding(pixel_values).flatten(2).transpose(1, 2);
  at::Tensor cls = class_embedding.expand({patches.size(0), 1, -1});
  at::Tensor x = at::cat({cls, patches}, 1);
  return x + position_embedding.slice(1, 0, x.size(1));
}

Blip2AttentionImpl::Blip2AttentionImpl(const Blip2VisionConfig& c)
    : heads(c.num_attention_heads),
      scale(1.0 / std::sqrt(static_cast<double>(c.hidden_size / c.num_attention_heads))) {
  const int64_t hidden = c.hidden_size;
  qkv = register_module("qkv", nn::dense(hidden, 3 * hidden, c.qkv_bias && !c.separate_qkv_bias));
  if (c.qkv_bias && c.separate_qkv_bias) {
    q_bias = register_parameter("q_bias", at::zeros({hidden}));
    v_bias = register_parameter("v_bias", at::zeros({hidden}));
  }
  projection = register_module("projection", nn::dense(hidden, hidden));
}

at::Tensor Blip2AttentionImpl::forward(const at::Tensor& x) {
  at::Tensor mixed = qkv(x);
  // The key part has no bias of its own in this layout (transformers adds zeros).
  if (q_bias.defined()) mixed = mixed + at::cat({q_bias, at::zeros_like(v_bias), v_bias});
  auto parts = mixed.chunk(3, -1);
  at::Tensor q = nn::split_heads(parts[0], heads), k = nn::split_heads(parts[1], heads),
             v = nn::split_heads(parts[2], heads);
  return projection(nn::merge_heads(nn::attention(q, k, v, at::Tensor(), scale)));
}

Blip2EncoderLayerImpl::Blip2EncoderLayerImpl(const Blip2VisionConfig& c) {
  self_attn = register_module("self_attn", Blip2Attention(c));
  layer_norm1 = register_module("layer_norm1", nn::layer_norm(c.hidden_size, c.layer_norm_eps));
  mlp = register_module("mlp", nn::Mlp(c.hidden_size, c.intermediate_size, c.hidden_act));
  layer_norm2 = register_module("layer_norm2", nn::layer_norm(c.hidden_size, c.layer_norm_eps));
}

at::Tensor Blip2EncoderLayerImpl::forward(const at::Tensor& x) {
  at::Tensor h = x + self_attn(layer_norm1(x));
  return h + mlp(layer_norm2(h));
}

Blip2EncoderImpl::Blip2EncoderImpl(const Blip2VisionConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(Blip2EncoderLayer(c));
}

at::Tensor Blip2EncoderImpl::forward(const at::Tensor& x) {
  at::Tensor h = x;
  for (const auto& layer : *layers) h = layer->as<Blip2EncoderLayerImpl>()->forward(h);
  return h;
}

Blip2VisionModelImpl::Blip2VisionModelImpl(const Blip2VisionConfig& c) : cfg(c) {
  embeddings = register_module("embeddings", Blip2VisionEmbeddings(c));
  encoder = register_module("encoder", Blip2Encoder(c));
  post_layernorm = register_module("post_layernorm", nn::layer_norm(c.hidden_size, c.layer_norm_eps));
}

at::Tensor Blip2VisionModelImpl::forward(const at::Tensor& pixel_values) {
  return post_layernorm(encoder(embeddings(pixel_values)));
}

}  // namespace argus::models::blip2
