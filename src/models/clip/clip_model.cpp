#include "models/clip/clip_model.h"

#include "nn/attention.h"
#include "util/error.h"

namespace argus::models::clip {

at::Tensor l2_normalize(const at::Tensor& x) { return x / x.norm(2, -1, true); }

ClipTextEmbeddingsImpl::ClipTextEmbeddingsImpl(const ClipTextConfig& c) {
  token_embedding = register_module("token_embedding", torch::nn::Embedding(c.vocab_size, c.enc.hidden));
  position_embedding =
      register_module("position_embedding", torch::nn::Embedding(c.max_position_embeddings, c.enc.hidden));
}

at::Tensor ClipTextEmbeddingsImpl::forward(const at::Tensor& input_ids) {
  int64_t len = input_ids.size(1);
  if (len > position_embedding->weight.size(0))
    fail("text is {} tokens, longer than the model's {} positions", len, position_embedding->weight.size(0));
  at::Tensor bad = (input_ids < 0).logical_or(input_ids >= token_embedding->weight.size(0));
  if (bad.any().item<bool>()) fail("token id out of the vocabulary (size {})", token_embedding->weight.size(0));
  return token_embedding(input_ids) + position_embedding->weight.slice(0, 0, len).unsqueeze(0);
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig& c) : cfg(c) {
  embeddings = register_module("embeddings", ClipTextEmbeddings(c));
  encoder = register_module("encoder", nn::Encoder(c.enc));
  final_layer_norm = register_module("final_layer_norm", nn::layer_norm(c.enc.hidden, c.enc.eps));
}

TowerOutput ClipTextTransformerImpl::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                             bool want_hidden) {
  TowerOutput out;
  at::Tensor h = embeddings(input_ids);
  at::Tensor mask = nn::causal_mask(input_ids.size(1), h.scalar_type());
  if (attention_mask.defined()) mask = mask + nn::padding_mask(attention_mask, h.scalar_type());
  h = encoder(h, mask, want_hidden ? &out.hidden_states : nullptr);
  out.last_hidden_state = final_layer_norm(h);
  // The pooled token is the EOS: legacy configs (eos id 2) used the highest id instead.
  at::Tensor eos_pos = cfg.eos_token_id == 2 ? input_ids.argmax(-1)
                                             : (input_ids == cfg.eos_token_id).to(at::kInt).argmax(-1);
  out.pooler_output = out.last_hidden_state.index({at::arange(input_ids.size(0)), eos_pos});
  return out;
}

ClipVisionEmbeddingsImpl::ClipVisionEmbeddingsImpl(const ClipVisionConfig& c) {
  class_embedding = register_parameter("class_embedding", at::zeros({c.enc.hidden}));
  patch_embedding = register_module(
      "patch_embedding",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(c.num_channels, c.enc.hidden, c.patch_size).stride(c.patch_size).bias(false)));
  int64_t patches = (c.image_size / c.patch_size) * (c.image_size / c.patch_size);
  position_embedding = register_module("position_embedding", torch::nn::Embedding(patches + 1, c.enc.hidden));
}

at::Tensor ClipVisionEmbeddingsImpl::forward(const at::Tensor& pixel_values) {
  at::Tensor patches = patch_embedding(pixel_values).flatten(2).transpose(1, 2);  // [B, N, D]
  if (patches.size(1) + 1 != position_embedding->weight.size(0))
    fail("image gives {} patches but the model has {} positions", patches.size(1), position_embedding->weight.size(0) - 1);
  at::Tensor cls = class_embedding.view({1, 1, -1}).expand({patches.size(0), 1, -1});
  return at::cat({cls, patches}, 1) + position_embedding->weight.unsqueeze(0);
}

ClipVisionTransformerImpl::ClipVisionTransformerImpl(const ClipVisionConfig& c) : cfg(c) {
  embeddings = register_module("embeddings", ClipVisionEmbeddings(c));
  pre_layrnorm = register_module("pre_layrnorm", nn::layer_norm(c.enc.hidden, c.enc.eps));
  encoder = register_module("encoder", nn::Encoder(c.enc));
  post_layernorm = register_module("post_layernorm", nn::layer_norm(c.enc.hidden, c.enc.eps));
}

TowerOutput ClipVisionTransformerImpl::forward(const at::Tensor& pixel_values, bool want_hidden,
                                               int64_t stop_after_layers) {
  TowerOutput out;
  at::Tensor h = pre_layrnorm(embeddings(pixel_values));
  out.last_hidden_state = encoder(h, at::Tensor(), want_hidden ? &out.hidden_states : nullptr, stop_after_layers);
  out.pooler_output = post_layernorm(out.last_hidden_state.select(1, 0));
  return out;
}

ClipModelImpl::ClipModelImpl(const ClipConfig& c) : cfg(c) {
  text_model = register_module("text_model", ClipTextTransformer(c.text));
  vision_model = register_module("vision_model", ClipVisionTransformer(c.vision));
  visual_projection = register_module("visual_projection", nn::dense(c.vision.enc.hidden, c.projection_dim, false));
  text_projection = register_module("text_projection", nn::dense(c.text.enc.hidden, c.projection_dim, false));
  logit_scale = register_parameter("logit_scale", at::full({}, c.logit_scale_init_value));
}

at::Tensor ClipModelImpl::image_embeds(const at::Tensor& pixel_values) {
  return l2_normalize(visual_projection(vision_model(pixel_values).pooler_output));
}

at::Tensor ClipModelImpl::text_embeds(const at::Tensor& input_ids, const at::Tensor& attention_mask) {
  return l2_normalize(text_projection(text_model(input_ids, attention_mask).pooler_output));
}

at::Tensor ClipModelImpl::logits_per_image(const at::Tensor& image_embeds, const at::Tensor& text_embeds) {
  return at::matmul(image_embeds, text_embeds.t()) * logit_scale.exp();
}

}  // namespace argus::models::clip

#include "io/checkpoint.h"
#include "nn/inference.h"
#include "nn/load.h"

namespace argus::models::clip {

ClipModel load_clip_model(const io::Checkpoint& ck) {
  ClipModel m(parse_config(ck.config()));
  nn::LoadOptions opts;
  opts.ignore_suffixes = {"embeddings.position_ids"};  // a buffer older exports saved
  nn::load_weights(*m, ck, opts);
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::clip
