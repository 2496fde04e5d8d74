#include "models/blip2/opt_model.h"

#include <cmath>

#include "nn/attention.h"
#include "nn/decoder_mask.h"
#include "nn/token_ids.h"
#include "nn/vit_encoder.h"
#include "util/error.h"

namespace argus::models::blip2 {

namespace {
constexpr double kLayerNormEps = 1e-5;  // nn.LayerNorm's default, which OPT keeps
}

OptAttentionImpl::OptAttentionImpl(const OptConfig& c, int64_t layer)
    : layer_index(layer),
      heads(c.num_attention_heads),
      scale(1.0 / std::sqrt(static_cast<double>(c.hidden_size / c.num_attention_heads))) {
  q_proj = register_module("q_proj", nn::dense(c.hidden_size, c.hidden_size));
  k_proj = register_module("k_proj", nn::dense(c.hidden_size, c.hidden_size));
  v_proj = register_module("v_proj", nn::dense(c.hidden_size, c.hidden_size));
  out_proj = register_module("out_proj", nn::dense(c.hidden_size, c.hidden_size));
}

at::Tensor OptAttentionImpl::forward(const at::Tensor& x, const at::Tensor& mask, nn::KvCache& cache) {
  at::Tensor q = nn::split_heads(q_proj(x), heads);
  auto [keys, values] = cache.append(layer_index, nn::split_heads(k_proj(x), heads), nn::split_heads(v_proj(x), heads));
  return out_proj(nn::merge_heads(nn::attention(q, keys, values, mask, scale)));
}

OptDecoderLayerImpl::OptDecoderLayerImpl(const OptConfig& c, int64_t layer)
    : norm_before(c.do_layer_norm_before), act(nn::activation(c.activation_function)) {
  self_attn = register_module("self_attn", OptAttention(c, layer));
  self_attn_layer_norm = register_module("self_attn_layer_norm", nn::layer_norm(c.hidden_size, kLayerNormEps));
  fc1 = register_module("fc1", nn::dense(c.hidden_size, c.ffn_dim));
  fc2 = register_module("fc2", nn::dense(c.ffn_dim, c.hidden_size));
  final_layer_norm = register_module("final_layer_norm", nn::layer_norm(c.hidden_size, kLayerNormEps));
}

at::Tensor OptDecoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& mask, nn::KvCache& cache) {
  if (norm_before) {
    at::Tensor h = x + self_attn(self_attn_layer_norm(x), mask, cache);
    return h + fc2(act(fc1(final_layer_norm(h))));
  }
  at::Tensor h = self_attn_layer_norm(x + self_attn(x, mask, cache));
  return final_layer_norm(h + fc2(act(fc1(h))));
}

OptDecoderImpl::OptDecoderImpl(const OptConfig& c) : cfg(c) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.word_embed_proj_dim));
  embed_positions = register_module(
      "embed_positions", torch::nn::Embedding(c.max_position_embeddings + OptConfig::kPositionOffset, c.hidden_size));
  if (c.word_embed_proj_dim != c.hidden_size) {
    project_in = register_module("project_in", nn::dense(c.word_embed_proj_dim, c.hidden_size, false));
    project_out = register_module("project_out", nn::dense(c.hidden_size, c.word_embed_proj_dim, false));
  }
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(OptDecoderLayer(c, i));
  // OPT-350m (post-norm) has no final norm; _remove_final_layer_norm marks old conversions without one.
  if (c.do_layer_norm_before && !c.remove_final_layer_norm)
    final_layer_norm = register_module("final_layer_norm", nn::layer_norm(c.hidden_size, kLayerNormEps));
}

at::Tensor OptDecoderImpl::embed(const at::Tensor& input_ids) {
  nn::check_token_ids(input_ids, cfg.vocab_size);
  return embed_tokens(input_ids);
}

at::Tensor OptDecoderImpl::forward(const at::Tensor& inputs_embeds, nn::KvCache& cache,
                                   const at::Tensor& attention_mask) {
  if (inputs_embeds.dim() != 3 || inputs_embeds.size(2) != cfg.word_embed_proj_dim)
    fail("inputs_embeds must be [batch, length, {}]", cfg.word_embed_proj_dim);
  if (cache.layers() != cfg.num_hidden_layers)
    fail("kv cache has {} layers, the model {}", cache.layers(), cfg.num_hidden_layers);
  const int64_t b = inputs_embeds.size(0), len = inputs_embeds.size(1), past = cache.length(), total = past + len;
  if (past > 0 && cache.batch() != b) fail("kv cache holds {} sequences but the input has {}", cache.batch(), b);
  if (total > cfg.max_position_embeddings)
    fail("sequence of {} tokens is longer than the model's max_position_embeddings ({})", total,
         cfg.max_position_embeddings);
  at::Tensor keep = nn::decoder_keep_mask(cache, b, len, attention_mask);
  // transformers: cumsum(mask) * mask - 1, so padding reads position -1 (row 1).
  at::Tensor positions = (keep.cumsum(1) * keep - 1).slice(1, past, total) + OptConfig::kPositionOffset;

  at::Tensor h = project_in.is_empty() ? inputs_embeds : project_in(inputs_embeds);
  h = h + embed_positions(positions).to(h.scalar_type());
  at::Tensor mask;
  if (len > 1 || keep.min().item<int64_t>() == 0) mask = nn::decoder_mask(keep, past, len, 0, h.scalar_type());
  for (const auto& m : *layers) h = m->as<OptDecoderLayerImpl>()->forward(h, mask, cache);
  cache.attention_mask = keep;
  if (!final_layer_norm.is_empty()) h = final_layer_norm(h);
  return project_out.is_empty() ? h : project_out(h);
}

OptModelImpl::OptModelImpl(const OptConfig& c) { decoder = register_module("decoder", OptDecoder(c)); }

OptForCausalLMImpl::OptForCausalLMImpl(const OptConfig& c) : cfg(c) { model = register_module("model", OptModel(c)); }

at::Tensor OptForCausalLMImpl::forward_inputs_embeds(const at::Tensor& inputs_embeds, nn::KvCache* cache_in,
                                                     const at::Tensor& attention_mask, int64_t logits_to_keep) {
  nn::KvCache local = make_cache();
  at::Tensor h = model->decoder->forward(inputs_embeds, cache_in ? *cache_in : local, attention_mask);
  if (logits_to_keep > 0 && logits_to_keep < h.size(1)) h = h.slice(1, h.size(1) - logits_to_keep);
  return at::linear(h, model->decoder->embed_tokens->weight).to(at::kFloat);
}

at::Tensor OptForCausalLMImpl::forward_ids(const at::Tensor& input_ids, nn::KvCache* cache,
                                           const at::Tensor& attention_mask, int64_t logits_to_keep) {
  return forward_inputs_embeds(embed(input_ids), cache, attention_mask, logits_to_keep);
}

}  // namespace argus::models::blip2
