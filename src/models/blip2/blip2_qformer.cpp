#include "models/blip2/blip2_qformer.h"

#include <cmath>

#include "nn/attention.h"
#include "nn/vit_encoder.h"

namespace argus::models::blip2 {

QFormerMultiHeadAttentionImpl::QFormerMultiHeadAttentionImpl(const Blip2QFormerConfig& c, int64_t kv_width)
    : heads(c.num_attention_heads),
      scale(1.0 / std::sqrt(static_cast<double>(c.hidden_size / c.num_attention_heads))) {
  query = register_module("query", nn::dense(c.hidden_size, c.hidden_size));
  key = register_module("key", nn::dense(kv_width, c.hidden_size));
  value = register_module("value", nn::dense(kv_width, c.hidden_size));
}

at::Tensor QFormerMultiHeadAttentionImpl::forward(const at::Tensor& x, const at::Tensor& kv) {
  // Every query and image position is attended: BLIP-2 passes all-ones masks here.
  return nn::merge_heads(nn::attention(nn::split_heads(query(x), heads), nn::split_heads(key(kv), heads),
                                       nn::split_heads(value(kv), heads), at::Tensor(), scale));
}

QFormerOutputImpl::QFormerOutputImpl(int64_t in, int64_t hidden, double eps) {
  dense = register_module("dense", nn::dense(in, hidden));
  LayerNorm = register_module("LayerNorm", nn::layer_norm(hidden, eps));
}

at::Tensor QFormerOutputImpl::forward(const at::Tensor& x, const at::Tensor& residual) {
  return LayerNorm(dense(x) + residual);
}

QFormerAttentionImpl::QFormerAttentionImpl(const Blip2QFormerConfig& c, int64_t kv_width) {
  attention = register_module("attention", QFormerMultiHeadAttention(c, kv_width));
  output = register_module("output", QFormerOutput(c.hidden_size, c.hidden_size, c.layer_norm_eps));
}

at::Tensor QFormerAttentionImpl::forward(const at::Tensor& x, const at::Tensor& kv) {
  return output(attention(x, kv), x);
}

QFormerIntermediateImpl::QFormerIntermediateImpl(const Blip2QFormerConfig& c) : act(nn::activation(c.hidden_act)) {
  dense = register_module("dense", nn::dense(c.hidden_size, c.intermediate_size));
}

at::Tensor QFormerIntermediateImpl::forward(const at::Tensor& x) { return act(dense(x)); }

QFormerLayerImpl::QFormerLayerImpl(const Blip2QFormerConfig& c, int64_t layer_index) {
  attention = register_module("attention", QFormerAttention(c, c.hidden_size));
  if (layer_index % c.cross_attention_frequency == 0)
    crossattention = register_module("crossattention", QFormerAttention(c, c.encoder_hidden_size));
  intermediate_query = register_module("intermediate_query", QFormerIntermediate(c));
  output_query =
      register_module("output_query", QFormerOutput(c.intermediate_size, c.hidden_size, c.layer_norm_eps));
}

at::Tensor QFormerLayerImpl::forward(const at::Tensor& queries, const at::Tensor& image) {
  at::Tensor h = attention(queries, queries);
  if (!crossattention.is_empty()) h = crossattention(h, image);
  return output_query(intermediate_query(h), h);
}

QFormerEncoderImpl::QFormerEncoderImpl(const Blip2QFormerConfig& c) {
  layer = register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layer->push_back(QFormerLayer(c, i));
}

Blip2QFormerModelImpl::Blip2QFormerModelImpl(const Blip2QFormerConfig& c) {
  layernorm = register_module("layernorm", nn::layer_norm(c.hidden_size, c.layer_norm_eps));
  encoder = register_module("encoder", QFormerEncoder(c));
}

at::Tensor Blip2QFormerModelImpl::forward(const at::Tensor& query_embeds, const at::Tensor& image_embeds) {
  at::Tensor h = layernorm(query_embeds);
  for (const auto& l : *encoder->layer) h = l->as<QFormerLayerImpl>()->forward(h, image_embeds);
  return h;
}

}  // namespace argus::models::blip2
