#include "models/open_clip/open_clip_model.h"

#include "nn/attention.h"
#include "util/error.h"

namespace argus::models::open_clip {

OpenClipModelImpl::OpenClipModelImpl(const OpenClipConfig& c) : cfg(c) {
  const std::string act = c.activation();
  if (c.vision.resnet)
    resnet = register_module("visual", ModifiedResNet(c.vision, c.embed_dim));
  else
    vit = register_module("visual", VisionTransformer(c.vision, c.embed_dim, act));
  const auto& t = c.text;
  token_embedding = register_module("token_embedding", torch::nn::Embedding(t.vocab_size, t.width));
  positional_embedding = register_parameter("positional_embedding", at::zeros({t.context_length, t.width}));
  transformer = register_module("transformer", Transformer(t.width, t.layers, t.heads, t.mlp_ratio, act));
  ln_final = register_module("ln_final", clip_layer_norm(t.width));
  text_projection = register_parameter("text_projection", at::zeros({t.width, c.embed_dim}));
  logit_scale = register_parameter("logit_scale", at::zeros({}));
}

at::Tensor OpenClipModelImpl::encode_image(const at::Tensor& pixel_values, ImageStages* stages) {
  if (resnet) return resnet(pixel_values, stages ? &stages->resnet : nullptr);
  return vit(pixel_values, stages ? &stages->vit : nullptr);
}

at::Tensor OpenClipModelImpl::encode_text(const at::Tensor& input_ids, at::Tensor* ln_final_out) {
  const int64_t len = input_ids.size(1);
  if (len > positional_embedding.size(0))
    fail("text is {} tokens, longer than the model's context of {}", len, positional_embedding.size(0));
  const int64_t vocab = token_embedding->weight.size(0);
  if ((input_ids < 0).logical_or(input_ids >= vocab).any().item<bool>())
    fail("token id out of the vocabulary (size {})", vocab);
  at::Tensor h = token_embedding(input_ids) + positional_embedding.slice(0, 0, len).unsqueeze(0);
  h = ln_final(transformer(h, nn::causal_mask(len, h.scalar_type())));
  if (ln_final_out) *ln_final_out = h;
  at::Tensor pooled = h.index({at::arange(input_ids.size(0)), input_ids.argmax(-1)});
  return at::matmul(pooled, text_projection);
}

at::Tensor OpenClipModelImpl::logits_per_image(const at::Tensor& image_features, const at::Tensor& text_features) {
  at::Tensor i = image_features / image_features.norm(2, -1, true);
  at::Tensor t = text_features / text_features.norm(2, -1, true);
  return at::matmul(i, t.t()) * logit_scale.exp();
}

}  // namespace argus::models::open_clip
