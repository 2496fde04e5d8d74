#include "models/detr/detr_transformer.h"

#include <cmath>

#include "nn/attention.h"
#include "nn/vit_encoder.h"

namespace argus::models::detr {

namespace {
at::Tensor with_pos(const at::Tensor& x, const at::Tensor& pos) { return pos.defined() ? x + pos : x; }
constexpr double kLayerNormEps = 1e-5;  // nn.LayerNorm's default, which DETR keeps
}  // namespace

DetrAttentionImpl::DetrAttentionImpl(int64_t dim, int64_t heads_) : heads(heads_) {
  k_proj = register_module("k_proj", nn::dense(dim, dim));
  v_proj = register_module("v_proj", nn::dense(dim, dim));
  q_proj = register_module("q_proj", nn::dense(dim, dim));
  out_proj = register_module("out_proj", nn::dense(dim, dim));
}

at::Tensor DetrAttentionImpl::forward(const at::Tensor& queries, const at::Tensor& query_pos, const at::Tensor& keys,
                                      const at::Tensor& key_pos, const at::Tensor& key_padding) {
  at::Tensor q = nn::split_heads(q_proj(with_pos(queries, query_pos)), heads);
  at::Tensor k = nn::split_heads(k_proj(with_pos(keys, key_pos)), heads);
  at::Tensor v = nn::split_heads(v_proj(keys), heads);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  return out_proj(nn::merge_heads(nn::attention(q, k, v, key_padding, scale)));
}

DetrEncoderLayerImpl::DetrEncoderLayerImpl(const DetrConfig& c) : act(nn::activation(c.activation_function)) {
  self_attn = register_module("self_attn", DetrAttention(c.d_model, c.encoder_attention_heads));
  self_attn_layer_norm = register_module("self_attn_layer_norm", nn::layer_norm(c.d_model, kLayerNormEps));
  fc1 = register_module("fc1", nn::dense(c.d_model, c.encoder_ffn_dim));
  fc2 = register_module("fc2", nn::dense(c.encoder_ffn_dim, c.d_model));
  final_layer_norm = register_module("final_layer_norm", nn::layer_norm(c.d_model, kLayerNormEps));
}

at::Tensor DetrEncoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& pos, const at::Tensor& key_padding) {
  at::Tensor h = self_attn_layer_norm(x + self_attn(x, pos, x, pos, key_padding));
  return final_layer_norm(h + fc2(act(fc1(h))));
}

DetrDecoderLayerImpl::DetrDecoderLayerImpl(const DetrConfig& c) : act(nn::activation(c.activation_function)) {
  self_attn = register_module("self_attn", DetrAttention(c.d_model, c.decoder_attention_heads));
  self_attn_layer_norm = register_module("self_attn_layer_norm", nn::layer_norm(c.d_model, kLayerNormEps));
  encoder_attn = register_module("encoder_attn", DetrAttention(c.d_model, c.decoder_attention_heads));
  encoder_attn_layer_norm = register_module("encoder_attn_layer_norm", nn::layer_norm(c.d_model, kLayerNormEps));
  fc1 = register_module("fc1", nn::dense(c.d_model, c.decoder_ffn_dim));
  fc2 = register_module("fc2", nn::dense(c.decoder_ffn_dim, c.d_model));
  final_layer_norm = register_module("final_layer_norm", nn::layer_norm(c.d_model, kLayerNormEps));
}

at::Tensor DetrDecoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& query_pos, const at::Tensor& memory,
                                         const at::Tensor& memory_pos, const at::Tensor& key_padding) {
  at::Tensor h = self_attn_layer_norm(x + self_attn(x, query_pos, x, query_pos, at::Tensor()));
  h = encoder_attn_layer_norm(h + encoder_attn(h, query_pos, memory, memory_pos, key_padding));
  return final_layer_norm(h + fc2(act(fc1(h))));
}

DetrEncoderImpl::DetrEncoderImpl(const DetrConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.encoder_layers; ++i) layers->push_back(DetrEncoderLayer(c));
}

at::Tensor DetrEncoderImpl::forward(at::Tensor x, const at::Tensor& pos, const at::Tensor& key_padding) {
  for (const auto& m : *layers) x = m->as<DetrEncoderLayerImpl>()->forward(x, pos, key_padding);
  return x;
}

DetrDecoderImpl::DetrDecoderImpl(const DetrConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.decoder_layers; ++i) layers->push_back(DetrDecoderLayer(c));
  layernorm = register_module("layernorm", nn::layer_norm(c.d_model, kLayerNormEps));
}

at::Tensor DetrDecoderImpl::forward(const at::Tensor& query_pos, const at::Tensor& memory, const at::Tensor& memory_pos,
                                    const at::Tensor& key_padding) {
  at::Tensor x = at::zeros_like(query_pos);
  for (const auto& m : *layers) x = m->as<DetrDecoderLayerImpl>()->forward(x, query_pos, memory, memory_pos, key_padding);
  return layernorm(x);
}

}  // namespace argus::models::detr
