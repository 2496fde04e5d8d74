// OPTForCausalLM (transformers layout "model.decoder.*", lm_head tied to
// embed_tokens): learned positions read at position + 2 (OPT's offset), pre- or
// post-norm layers per do_layer_norm_before, the configured activation (ReLU in the
// released models) between fc1 and fc2, project_in / project_out when
// word_embed_proj_dim differs from hidden_size, and a KV cache for generation.
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

#include "models/blip2/blip2_config.h"
#include "nn/activation.h"
#include "nn/causal_lm.h"
#include "nn/dense.h"
#include "nn/kv_cache.h"

namespace argus::models::blip2 {

struct OptAttentionImpl : torch::nn::Module {
  OptAttentionImpl(const OptConfig& c, int64_t layer_index);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask, nn::KvCache& cache);
  int64_t layer_index, heads;
  double scale;
  nn::Dense q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};
};
TORCH_MODULE(OptAttention);

struct OptDecoderLayerImpl : torch::nn::Module {
  OptDecoderLayerImpl(const OptConfig& c, int64_t layer_index);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask, nn::KvCache& cache);
  bool norm_before;
  nn::Activation act;
  OptAttention self_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  nn::Dense fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(OptDecoderLayer);

struct OptDecoderImpl : torch::nn::Module {
  explicit OptDecoderImpl(const OptConfig& c);
  // input_ids [B, L] -> token embeddings [B, L, word_embed_proj_dim]; an id outside the
  // vocabulary is argus::Error.
  at::Tensor embed(const at::Tensor& input_ids);
  // inputs_embeds [B, L, word_embed_proj_dim] -> hidden states [B, L, word_embed_proj_dim]
  // (after final_layer_norm and project_out). Positions follow the 0/1 mask (left padding).
  at::Tensor forward(const at::Tensor& inputs_embeds, nn::KvCache& cache, const at::Tensor& attention_mask);
  OptConfig cfg;
  torch::nn::Embedding embed_tokens{nullptr}, embed_positions{nullptr};
  nn::Dense project_in{nullptr}, project_out{nullptr};  // null when word_embed_proj_dim == hidden_size
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};  // null for post-norm models
};
TORCH_MODULE(OptDecoder);

struct OptModelImpl : torch::nn::Module {
  explicit OptModelImpl(const OptConfig& c);
  OptDecoder decoder{nullptr};
};
TORCH_MODULE(OptModel);

struct OptForCausalLMImpl : torch::nn::Module, nn::CausalLm {
  explicit OptForCausalLMImpl(const OptConfig& c);
  at::Tensor forward_ids(const at::Tensor& input_ids, nn::KvCache* cache, const at::Tensor& attention_mask,
                         int64_t logits_to_keep) override;
  at::Tensor forward_inputs_embeds(const at::Tensor& inputs_embeds, nn::KvCache* cache,
                                   const at::Tensor& attention_mask, int64_t logits_to_keep) override;
  nn::KvCache make_cache() const override { return nn::KvCache(cfg.num_hidden_layers); }
  int64_t position_limit() const override { return cfg.max_position_embeddings; }
  at::Tensor embed(const at::Tensor& input_ids) { return model->decoder->embed(input_ids); }
  OptConfig cfg;
  OptModel model{nullptr};
  // lm_head is model.decoder.embed_tokens (tied): a checkpoint's copy is ignored on load.
};
TORCH_MODULE(OptForCausalLM);

}  // namespace argus::models::blip2
