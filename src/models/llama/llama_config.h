// Config of the Llama-shaped decoders (LlamaForCausalLM, MistralForCausalLM,
// Qwen2ForCausalLM): one struct, with the family differences as flags.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/rope.h"

namespace argus::models::llama {

struct LlamaConfig {
  std::string model_type = "llama";
  int64_t vocab_size = 32000, hidden_size = 4096, intermediate_size = 11008;
  int64_t num_hidden_layers = 32, num_attention_heads = 32, num_key_value_heads = 32;
  int64_t head_dim = 128;  // config's head_dim, else hidden_size / num_attention_heads
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  std::string hidden_act = "silu";
  bool qkv_bias = false;  // bias on q/k/v_proj (Qwen2; Llama's attention_bias)
  bool o_bias = false;    // bias on o_proj (Llama's attention_bias)
  bool mlp_bias = false;
  bool tie_word_embeddings = false;  // lm_head reuses model.embed_tokens.weight
  int64_t sliding_window = 0;        // 0: none; else i attends j when 0 <= i - j < sliding_window
  std::vector<bool> sliding_layers;  // per layer: uses the sliding window
  nn::RopeConfig rope;
  std::vector<int64_t> eos_token_ids;
  int64_t bos_token_id = -1, pad_token_id = -1;  // -1: none
};

// Parses config.json (or a composite model's text_config) with transformers'
// per-family defaults; bad values are argus::Error naming the key.
LlamaConfig parse_llama_config(const nlohmann::json& j);

// config.json for a plain (non-sliding, default-rope) Llama as transformers writes it, in
// the rope_parameters style of transformers 5.
nlohmann::json to_json(const LlamaConfig& c);

// A token id or list of ids (config eos_token_id style); null -> empty.
std::vector<int64_t> parse_token_ids(const nlohmann::json& j, const char* key);

}  // namespace argus::models::llama
