// LlamaForCausalLM (also Mistral and Qwen2, which share its layout). Submodule
// names are the checkpoint keys: model.embed_tokens, model.layers.N.{input_layernorm,
// self_attn.{q,k,v,o}_proj, post_attention_layernorm, mlp.{gate,up,down}_proj},
// model.norm, lm_head (absent with tie_word_embeddings).
#pragma once
#include <functional>
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>

#include "models/llama/llama_config.h"
#include "nn/activation.h"
#include "nn/dense.h"
#include "nn/kv_cache.h"
#include "nn/rms_norm.h"
#include "nn/rope.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::llama {

struct LlamaAttentionImpl : torch::nn::Module {
  LlamaAttentionImpl(const LlamaConfig& c, int64_t layer_index);
  // x [B, L, hidden]; cos/sin [B, L, head_dim]; mask additive [B, 1, L, T] or undefined.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& mask,
                     nn::KvCache& cache);
  int64_t layer_index, heads, kv_heads, head_dim;
  double scale;
  nn::Dense q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
};
TORCH_MODULE(LlamaAttention);

struct LlamaMlpImpl : torch::nn::Module {
  explicit LlamaMlpImpl(const LlamaConfig& c);
  at::Tensor forward(const at::Tensor& x);
  nn::Activation act;
  nn::Dense gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(LlamaMlp);

struct LlamaDecoderLayerImpl : torch::nn::Module {
  LlamaDecoderLayerImpl(const LlamaConfig& c, int64_t layer_index);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& mask,
                     nn::KvCache& cache);
  bool sliding = false;
  nn::RmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  LlamaAttention self_attn{nullptr};
  LlamaMlp mlp{nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

// The decoder stack ("model." in the checkpoint).
struct LlamaModelImpl : torch::nn::Module {
  explicit LlamaModelImpl(const LlamaConfig& c);
  // input_ids [B, L] -> embeddings; an id outside the vocabulary is argus::Error.
  at::Tensor embed(const at::Tensor& input_ids);
  // inputs_embeds [B, L, hidden] -> final-normed hidden states [B, L, hidden].
  // `cache` (may be null: a throwaway one is used) receives the keys/values.
  // `attention_mask` 0/1 covers either the new positions [B, L] or the cached
  // ones too [B, T + L]; undefined = all ones. Positions follow the mask (left padding).
  at::Tensor forward(const at::Tensor& inputs_embeds, nn::KvCache* cache = nullptr,
                     const at::Tensor& attention_mask = {});
  LlamaConfig cfg;
  nn::RotaryEmbedding rope;
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  nn::RmsNorm norm{nullptr};
};
TORCH_MODULE(LlamaModel);

struct LlamaForCausalLMImpl : torch::nn::Module {
  explicit LlamaForCausalLMImpl(const LlamaConfig& c);
  // input_ids [B, L] -> float32 logits [B, L', vocab] where L' = L, or the last
  // `logits_to_keep` positions when that is > 0. See LlamaModelImpl::forward.
  at::Tensor forward(const at::Tensor& input_ids, nn::KvCache* cache = nullptr, const at::Tensor& attention_mask = {},
                     int64_t logits_to_keep = 0);
  at::Tensor forward_embeds(const at::Tensor& inputs_embeds, nn::KvCache* cache = nullptr,
                            const at::Tensor& attention_mask = {}, int64_t logits_to_keep = 0);
  // hidden [B, L, hidden] -> float32 logits.
  at::Tensor logits(const at::Tensor& hidden);
  nn::KvCache new_cache() const { return nn::KvCache(cfg.num_hidden_layers); }
  LlamaConfig cfg;
  LlamaModel model{nullptr};
  nn::Dense lm_head{nullptr};  // null when tied
};
TORCH_MODULE(LlamaForCausalLM);

struct LlamaLoadOptions {
  // Weight/activation dtype: float32 (default, reference parity) or bfloat16
  // (half the memory, faster matmuls where the CPU has AVX512-BF16).
  at::ScalarType dtype = at::kFloat;
  // float32 linear layers through oneDNN (see nn/inference.h).
  bool onednn = true;
  // Checkpoint key prefix of the decoder, e.g. "language_model." in a LLaVA checkpoint.
  std::string prefix;
};

// Loads weights strictly into an already built model (lm_head.weight may be
// absent, and is ignored, when the embeddings are tied).
void load_llama_weights(LlamaForCausalLMImpl& m, const io::Checkpoint& ck, const std::string& prefix = "");

// Builds the model for `cfg` without random initialisation, in opts.dtype, fills it
// with `load`, and prepares it for inference: the steps every weight format shares.
LlamaForCausalLM build_llama(const LlamaConfig& cfg, const LlamaLoadOptions& opts,
                             const std::function<void(LlamaForCausalLMImpl&)>& load);

// Builds from the checkpoint's config.json (or `config`, e.g. a text_config),
// loads the weights and prepares for inference.
LlamaForCausalLM load_llama(const io::Checkpoint& ck, const LlamaLoadOptions& opts = {});
LlamaForCausalLM load_llama(const io::Checkpoint& ck, const nlohmann::json& config, const LlamaLoadOptions& opts);

}  // namespace argus::models::llama
