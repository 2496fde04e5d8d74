#include "models/llama/llama_model.h"

#include <cmath>
#include <limits>

#include "io/checkpoint.h"
#include "nn/attention.h"
#include "nn/decoder_mask.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "nn/token_ids.h"
#include "nn/uninitialized.h"
#include "util/error.h"

namespace argus::models::llama {

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaConfig& c, int64_t layer)
    : layer_index(layer), heads(c.num_attention_heads), kv_heads(c.num_key_value_heads), head_dim(c.head_dim) {
  scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  q_proj = register_module("q_proj", nn::dense(c.hidden_size, heads * head_dim, c.qkv_bias));
  k_proj = register_module("k_proj", nn::dense(c.hidden_size, kv_heads * head_dim, c.qkv_bias));
  v_proj = register_module("v_proj", nn::dense(c.hidden_size, kv_heads * head_dim, c.qkv_bias));
  o_proj = register_module("o_proj", nn::dense(heads * head_dim, c.hidden_size, c.o_bias));
}

at::Tensor LlamaAttentionImpl::forward(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                                       const at::Tensor& mask, nn::KvCache& cache) {
  int64_t b = x.size(0), len = x.size(1);
  at::Tensor q = nn::apply_rope(nn::split_heads(q_proj(x), heads), cos, sin);
  at::Tensor k = nn::apply_rope(nn::split_heads(k_proj(x), kv_heads), cos, sin);
  at::Tensor v = nn::split_heads(v_proj(x), kv_heads);
  auto [keys, values] = cache.append(layer_index, k, v);
  int64_t rep = heads / kv_heads;
  at::Tensor out;
  if (rep == 1) {
    out = nn::attention(q, keys, values, mask, scale);
  } else {
    // Grouped-query attention without copying the keys: the `rep` query heads
    // sharing a kv head become `rep * L` query rows of that head.
    int64_t total = keys.size(2);
    at::Tensor qg = q.reshape({b, kv_heads, rep * len, head_dim});
    at::Tensor mg = mask.defined()
                        ? mask.unsqueeze(2).expand({mask.size(0), 1, rep, len, total}).reshape({mask.size(0), 1, rep * len, total})
                        : mask;
    out = nn::attention(qg, keys, values, mg, scale).view({b, heads, len, head_dim});
  }
  return o_proj(nn::merge_heads(out));
}

LlamaMlpImpl::LlamaMlpImpl(const LlamaConfig& c) : act(nn::activation(c.hidden_act)) {
  gate_proj = register_module("gate_proj", nn::dense(c.hidden_size, c.intermediate_size, c.mlp_bias));
  up_proj = register_module("up_proj", nn::dense(c.hidden_size, c.intermediate_size, c.mlp_bias));
  down_proj = register_module("down_proj", nn::dense(c.intermediate_size, c.hidden_size, c.mlp_bias));
}

at::Tensor LlamaMlpImpl::forward(const at::Tensor& x) { return down_proj(act(gate_proj(x)) * up_proj(x)); }

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaConfig& c, int64_t layer)
    : sliding(layer < static_cast<int64_t>(c.sliding_layers.size()) && c.sliding_layers[layer]) {
  input_layernorm = register_module("input_layernorm", nn::RmsNorm(c.hidden_size, c.rms_norm_eps));
  self_attn = register_module("self_attn", LlamaAttention(c, layer));
  post_attention_layernorm = register_module("post_attention_layernorm", nn::RmsNorm(c.hidden_size, c.rms_norm_eps));
  mlp = register_module("mlp", LlamaMlp(c));
}

at::Tensor LlamaDecoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                                          const at::Tensor& mask, nn::KvCache& cache) {
  at::Tensor h = x + self_attn(input_layernorm(x), cos, sin, mask, cache);
  return h + mlp(post_attention_layernorm(h));
}

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& c)
    : cfg(c), rope(c.rope, c.head_dim, c.max_position_embeddings) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(LlamaDecoderLayer(c, i));
  norm = register_module("norm", nn::RmsNorm(c.hidden_size, c.rms_norm_eps));
}

at::Tensor LlamaModelImpl::embed(const at::Tensor& input_ids) {
  nn::check_token_ids(input_ids, cfg.vocab_size);
  return embed_tokens(input_ids);
}

at::Tensor LlamaModelImpl::forward(const at::Tensor& inputs_embeds, nn::KvCache* cache_in,
                                   const at::Tensor& attention_mask) {
  if (inputs_embeds.dim() != 3 || inputs_embeds.size(2) != cfg.hidden_size)
    fail("inputs_embeds must be [batch, length, {}]", cfg.hidden_size);
  nn::KvCache local(cfg.num_hidden_layers);
  nn::KvCache& cache = cache_in ? *cache_in : local;
  if (cache.layers() != cfg.num_hidden_layers)
    fail("kv cache has {} layers, the model {}", cache.layers(), cfg.num_hidden_layers);
  int64_t b = inputs_embeds.size(0), len = inputs_embeds.size(1), past = cache.length(), total = past + len;
  if (past > 0 && cache.batch() != b) fail("kv cache holds {} sequences but the input has {}", cache.batch(), b);
  if (cfg.rope.type != "dynamic" && total > cfg.max_position_embeddings)
    fail("sequence of {} tokens is longer than the model's max_position_embeddings ({})", total,
         cfg.max_position_embeddings);

  // The 0/1 mask of every position, cached and new.
  at::Tensor full = nn::decoder_keep_mask(cache, b, len, attention_mask);
  bool padded = full.numel() > 0 && full.min().item<int64_t>() == 0;
  at::Tensor positions;
  if (padded)
    positions = (full.cumsum(1) - 1).masked_fill(full == 0, 1).slice(1, past, total);
  else
    positions = at::arange(past, total, at::kLong).unsqueeze(0).expand({b, len});
  auto [cos, sin] = rope.cos_sin(positions);
  at::ScalarType dt = inputs_embeds.scalar_type();
  cos = cos.to(dt);
  sin = sin.to(dt);

  bool any_sliding = false, any_full = false;
  for (const auto& m : *layers) (m->as<LlamaDecoderLayer>()->sliding ? any_sliding : any_full) = true;
  at::Tensor full_mask, window_mask;
  if (any_full && (padded || len > 1)) full_mask = nn::decoder_mask(full, past, len, 0, dt);
  if (any_sliding && (padded || len > 1 || total > cfg.sliding_window))
    window_mask = nn::decoder_mask(full, past, len, cfg.sliding_window, dt);

  at::Tensor h = inputs_embeds;
  for (const auto& m : *layers) {
    auto* layer = m->as<LlamaDecoderLayer>();
    h = layer->forward(h, cos, sin, layer->sliding ? window_mask : full_mask, cache);
  }
  cache.attention_mask = full;
  return norm(h);
}

LlamaForCausalLMImpl::LlamaForCausalLMImpl(const LlamaConfig& c) : cfg(c) {
  model = register_module("model", LlamaModel(c));
  if (!c.tie_word_embeddings) lm_head = register_module("lm_head", nn::dense(c.hidden_size, c.vocab_size, false));
}

at::Tensor LlamaForCausalLMImpl::logits(const at::Tensor& hidden) {
  at::Tensor out = !lm_head.is_empty() ? lm_head(hidden) : at::linear(hidden, model->embed_tokens->weight);
  return out.to(at::kFloat);
}

at::Tensor LlamaForCausalLMImpl::forward_embeds(const at::Tensor& inputs_embeds, nn::KvCache* cache,
                                                const at::Tensor& attention_mask, int64_t logits_to_keep) {
  at::Tensor h = model->forward(inputs_embeds, cache, attention_mask);
  if (logits_to_keep > 0 && logits_to_keep < h.size(1)) h = h.slice(1, h.size(1) - logits_to_keep);
  return logits(h);
}

at::Tensor LlamaForCausalLMImpl::forward(const at::Tensor& input_ids, nn::KvCache* cache,
                                         const at::Tensor& attention_mask, int64_t logits_to_keep) {
  return forward_embeds(model->embed(input_ids), cache, attention_mask, logits_to_keep);
}

void load_llama_weights(LlamaForCausalLMImpl& m, const io::Checkpoint& ck, const std::string& prefix) {
  nn::LoadOptions opts;
  opts.prefix = prefix;
  opts.ignore_suffixes = {"rotary_emb.inv_freq"};  // a buffer older exports saved
  // Tied checkpoints may still carry lm_head.weight (a copy of the embeddings).
  if (m.cfg.tie_word_embeddings && ck.find(prefix + "lm_head.weight")) opts.ignore_suffixes.push_back("lm_head.weight");
  nn::load_weights(m, ck, opts);
}

LlamaForCausalLM build_llama(const LlamaConfig& cfg, const LlamaLoadOptions& opts,
                             const std::function<void(LlamaForCausalLMImpl&)>& load) {
  LlamaForCausalLM m{nullptr};
  {
    nn::SkipInitGuard no_init;  // every weight comes from the checkpoint
    m = LlamaForCausalLM(cfg);
  }
  // Parameters take the kept dtype before loading, so a 16-bit checkpoint is
  // converted tensor by tensor and never held as float32.
  if (opts.dtype != at::kFloat) nn::retype_parameters(*m, opts.dtype);
  load(*m);
  if (opts.dtype != at::kFloat) m->to(opts.dtype);  // the buffers
  nn::InferenceOptions inf;
  inf.onednn = opts.onednn && opts.dtype == at::kFloat;
  nn::prepare_for_inference(*m, inf);
  return m;
}

LlamaForCausalLM load_llama(const io::Checkpoint& ck, const nlohmann::json& config, const LlamaLoadOptions& opts) {
  if (opts.dtype != at::kFloat && opts.dtype != at::kBFloat16 && opts.dtype != at::kHalf)
    fail("llama: dtype must be float32, bfloat16 or float16");
  return build_llama(parse_llama_config(config), opts,
                     [&](LlamaForCausalLMImpl& m) { load_llama_weights(m, ck, opts.prefix); });
}

LlamaForCausalLM load_llama(const io::Checkpoint& ck, const LlamaLoadOptions& opts) {
  if (!ck.has_config()) fail("{}: no config.json", ck.dir());
  return load_llama(ck, ck.config(), opts);
}

}  // namespace argus::models::llama
