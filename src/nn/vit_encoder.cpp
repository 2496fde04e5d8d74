#include "nn/vit_encoder.h"

#include <cmath>

#include "nn/attention.h"

namespace argus::nn {

torch::nn::LayerNorm layer_norm(int64_t dim, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps));
}

torch::nn::Linear linear(int64_t in, int64_t out, bool bias) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

SelfAttentionImpl::SelfAttentionImpl(int64_t hidden, int64_t heads_)
    : heads(heads_), scale(1.0 / std::sqrt(static_cast<double>(hidden / heads_))) {
  q_proj = register_module("q_proj", dense(hidden, hidden));
  k_proj = register_module("k_proj", dense(hidden, hidden));
  v_proj = register_module("v_proj", dense(hidden, hidden));
  out_proj = register_module("out_proj", dense(hidden, hidden));
}

at::Tensor SelfAttentionImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  auto fused = qkv_.forward(x);
  at::Tensor q = split_heads(fused.empty() ? q_proj(x) : fused[0], heads);
  at::Tensor k = split_heads(fused.empty() ? k_proj(x) : fused[1], heads);
  at::Tensor v = split_heads(fused.empty() ? v_proj(x) : fused[2], heads);
  return out_proj(merge_heads(attention(q, k, v, mask, scale)));
}

MlpImpl::MlpImpl(int64_t hidden, int64_t intermediate, const std::string& act_name) : act(activation(act_name)) {
  fc1 = register_module("fc1", dense(hidden, intermediate));
  fc2 = register_module("fc2", dense(intermediate, hidden));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) { return fc2(act(fc1(x))); }

EncoderLayerImpl::EncoderLayerImpl(const EncoderDims& d) {
  self_attn = register_module("self_attn", SelfAttention(d.hidden, d.heads));
  layer_norm1 = register_module("layer_norm1", layer_norm(d.hidden, d.eps));
  mlp = register_module("mlp", Mlp(d.hidden, d.intermediate, d.act));
  layer_norm2 = register_module("layer_norm2", layer_norm(d.hidden, d.eps));
}

at::Tensor EncoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  at::Tensor h = x + self_attn(layer_norm1(x), mask);
  return h + mlp(layer_norm2(h));
}

EncoderImpl::EncoderImpl(const EncoderDims& d) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < d.layers; ++i) layers->push_back(EncoderLayer(d));
}

at::Tensor EncoderImpl::forward(const at::Tensor& x, const at::Tensor& mask, std::vector<at::Tensor>* hidden_states,
                                int64_t stop_after_layers) {
  at::Tensor h = x;
  if (hidden_states) hidden_states->push_back(h);
  int64_t n = stop_after_layers < 0 ? static_cast<int64_t>(layers->size()) : stop_after_layers;
  for (int64_t i = 0; i < n; ++i) {
    h = layers[i]->as<EncoderLayer>()->forward(h, mask);
    if (hidden_states) hidden_states->push_back(h);
  }
  return h;
}

}  // namespace argus::nn
