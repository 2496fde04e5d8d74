#include "models/siglip/siglip_model.h"

#include <cmath>

#include "io/checkpoint.h"
#include "io/json_file.h"
#include "nn/attention.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "util/error.h"

namespace argus::models::siglip {

SiglipConfig parse_config(const nlohmann::json& j) {
  SiglipConfig c;
  // SigLIP's own defaults differ from CLIP's: set them before reading the file.
  c.text.enc = {768, 3072, 12, 12, 1e-6, "gelu_pytorch_tanh"};
  c.text.vocab_size = 32000;
  c.text.max_position_embeddings = 64;
  c.vision.enc = {768, 3072, 12, 12, 1e-6, "gelu_pytorch_tanh"};
  c.vision.patch_size = 16;
  auto tj = j.value("text_config", nlohmann::json::object());
  auto vj = j.value("vision_config", nlohmann::json::object());
  clip::read_encoder_dims(tj, c.text.enc);
  c.text.vocab_size = io::get_or<int64_t>(tj, "vocab_size", c.text.vocab_size);
  c.text.max_position_embeddings = io::get_or<int64_t>(tj, "max_position_embeddings", c.text.max_position_embeddings);
  c.projection_size = io::get_or<int64_t>(tj, "projection_size", c.text.enc.hidden);
  clip::read_encoder_dims(vj, c.vision.enc);
  c.vision.image_size = io::get_or<int64_t>(vj, "image_size", c.vision.image_size);
  c.vision.patch_size = io::get_or<int64_t>(vj, "patch_size", c.vision.patch_size);
  c.vision.num_channels = io::get_or<int64_t>(vj, "num_channels", c.vision.num_channels);
  c.vision_use_head = io::get_or<bool>(vj, "vision_use_head", true);
  if (!c.vision_use_head) fail("SigLIP checkpoints without a vision head are not supported");
  return c;
}

SiglipVisionEmbeddingsImpl::SiglipVisionEmbeddingsImpl(const clip::ClipVisionConfig& c) {
  patch_embedding = register_module(
      "patch_embedding",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(c.num_channels, c.enc.hidden, c.patch_size).stride(c.patch_size)));
  int64_t side = c.image_size / c.patch_size;
  position_embedding = register_module("position_embedding", torch::nn::Embedding(side * side, c.enc.hidden));
}

at::Tensor SiglipVisionEmbeddingsImpl::forward(const at::Tensor& pixel_values) {
  at::Tensor patches = patch_embedding(pixel_values).flatten(2).transpose(1, 2);
  if (patches.size(1) != position_embedding->weight.size(0))
    fail("image gives {} patches but the model has {} positions", patches.size(1), position_embedding->weight.size(0));
  return patches + position_embedding->weight.unsqueeze(0);
}

PackedAttentionImpl::PackedAttentionImpl(int64_t hidden_, int64_t heads_) : hidden(hidden_), heads(heads_) {
  in_proj_weight = register_parameter("in_proj_weight", at::zeros({3 * hidden, hidden}));
  in_proj_bias = register_parameter("in_proj_bias", at::zeros({3 * hidden}));
  out_proj = register_module("out_proj", nn::dense(hidden, hidden));
}

at::Tensor PackedAttentionImpl::forward(const at::Tensor& query, const at::Tensor& kv) {
  auto w = in_proj_weight.chunk(3, 0);
  auto b = in_proj_bias.chunk(3, 0);
  at::Tensor q = nn::split_heads(at::linear(query, w[0], b[0]), heads);
  at::Tensor k = nn::split_heads(at::linear(kv, w[1], b[1]), heads);
  at::Tensor v = nn::split_heads(at::linear(kv, w[2], b[2]), heads);
  double scale = 1.0 / std::sqrt(static_cast<double>(hidden / heads));
  return out_proj(nn::merge_heads(nn::attention(q, k, v, at::Tensor(), scale)));
}

SiglipPoolingHeadImpl::SiglipPoolingHeadImpl(const nn::EncoderDims& d) {
  probe = register_parameter("probe", at::zeros({1, 1, d.hidden}));
  attention = register_module("attention", PackedAttention(d.hidden, d.heads));
  layernorm = register_module("layernorm", nn::layer_norm(d.hidden, d.eps));
  mlp = register_module("mlp", nn::Mlp(d.hidden, d.intermediate, d.act));
}

at::Tensor SiglipPoolingHeadImpl::forward(const at::Tensor& hidden) {
  at::Tensor h = attention(probe.expand({hidden.size(0), 1, -1}), hidden);
  h = h + mlp(layernorm(h));
  return h.select(1, 0);
}

SiglipVisionTransformerImpl::SiglipVisionTransformerImpl(const clip::ClipVisionConfig& c, bool) {
  embeddings = register_module("embeddings", SiglipVisionEmbeddings(c));
  encoder = register_module("encoder", nn::Encoder(c.enc));
  post_layernorm = register_module("post_layernorm", nn::layer_norm(c.enc.hidden, c.enc.eps));
  head = register_module("head", SiglipPoolingHead(c.enc));
}

TowerOutput SiglipVisionTransformerImpl::forward(const at::Tensor& pixel_values, bool want_hidden) {
  TowerOutput out;
  at::Tensor h = encoder(embeddings(pixel_values), at::Tensor(), want_hidden ? &out.hidden_states : nullptr);
  out.last_hidden_state = post_layernorm(h);
  out.pooler_output = head(out.last_hidden_state);
  return out;
}

SiglipTextTransformerImpl::SiglipTextTransformerImpl(const clip::ClipTextConfig& c, int64_t projection_size) {
  embeddings = register_module("embeddings", clip::ClipTextEmbeddings(c));
  encoder = register_module("encoder", nn::Encoder(c.enc));
  final_layer_norm = register_module("final_layer_norm", nn::layer_norm(c.enc.hidden, c.enc.eps));
  head = register_module("head", nn::dense(c.enc.hidden, projection_size));
}

TowerOutput SiglipTextTransformerImpl::forward(const at::Tensor& input_ids, const at::Tensor& attention_mask,
                                               bool want_hidden) {
  TowerOutput out;
  at::Tensor h = embeddings(input_ids);
  at::Tensor mask;  // SigLIP text attention is bidirectional; padding is usually attended (max_length padding)
  if (attention_mask.defined()) mask = nn::padding_mask(attention_mask, h.scalar_type());
  h = encoder(h, mask, want_hidden ? &out.hidden_states : nullptr);
  out.last_hidden_state = final_layer_norm(h);
  // SigLIP pools the last position: texts are padded to a fixed length in training.
  out.pooler_output = head(out.last_hidden_state.select(1, -1));
  return out;
}

SiglipModelImpl::SiglipModelImpl(const SiglipConfig& c) : cfg(c) {
  text_model = register_module("text_model", SiglipTextTransformer(c.text, c.projection_size));
  vision_model = register_module("vision_model", SiglipVisionTransformer(c.vision, c.vision_use_head));
  logit_scale = register_parameter("logit_scale", at::zeros({1}));
  logit_bias = register_parameter("logit_bias", at::zeros({1}));
}

at::Tensor SiglipModelImpl::image_embeds(const at::Tensor& pixel_values) {
  return clip::l2_normalize(vision_model(pixel_values).pooler_output);
}

at::Tensor SiglipModelImpl::text_embeds(const at::Tensor& input_ids, const at::Tensor& attention_mask) {
  return clip::l2_normalize(text_model(input_ids, attention_mask).pooler_output);
}

at::Tensor SiglipModelImpl::logits_per_image(const at::Tensor& image_embeds, const at::Tensor& text_embeds) {
  return at::matmul(image_embeds, text_embeds.t()) * logit_scale.exp() + logit_bias;
}

SiglipModel load_siglip_model(const io::Checkpoint& ck) {
  SiglipModel m(parse_config(ck.config()));
  nn::LoadOptions opts;
  opts.ignore_suffixes = {"embeddings.position_ids"};
  nn::load_weights(*m, ck, opts);
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::siglip
