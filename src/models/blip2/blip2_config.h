// Blip2Config: the ViT (Blip2VisionConfig), the Q-Former (Blip2QFormerConfig), the
// OPT decoder (text_config) and how the query outputs reach the prompt. Variants that
// transformers runs differently, or that argus has no module for (a Flan-T5 decoder,
// relative Q-Former positions, OPT without biases or norm weights), are refused by
// the field's name rather than run as a different model.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace argus::models::blip2 {

struct Blip2VisionConfig {
  int64_t hidden_size = 1408, intermediate_size = 6144, num_attention_heads = 16, num_hidden_layers = 39;
  int64_t image_size = 224, patch_size = 14;
  double layer_norm_eps = 1e-6;
  std::string hidden_act = "gelu";
  bool qkv_bias = true;
  // Key layout, set by the loader: transformers 4 checkpoints keep the attention's q and
  // v biases as q_bias / v_bias beside a bias-free qkv; transformers 5 packs them into
  // qkv.bias (with the key part's).
  bool separate_qkv_bias = false;
  int64_t num_patches() const { return (image_size / patch_size) * (image_size / patch_size); }
};

struct Blip2QFormerConfig {
  int64_t hidden_size = 768, intermediate_size = 3072, num_attention_heads = 12, num_hidden_layers = 12;
  int64_t cross_attention_frequency = 2, encoder_hidden_size = 1408;
  double layer_norm_eps = 1e-12;
  std::string hidden_act = "gelu";
};

struct OptConfig {
  int64_t vocab_size = 50272, hidden_size = 768, ffn_dim = 3072, num_attention_heads = 12, num_hidden_layers = 12;
  int64_t max_position_embeddings = 2048, word_embed_proj_dim = 768;
  int64_t pad_token_id = 1, bos_token_id = 2;
  bool do_layer_norm_before = true;
  bool remove_final_layer_norm = false;  // _remove_final_layer_norm: OPT-350m's conversion quirk
  std::string activation_function = "relu";
  // OPTLearnedPositionalEmbedding's rows start this far in: position p reads row p + 2.
  static constexpr int64_t kPositionOffset = 2;
};

struct Blip2Config {
  Blip2VisionConfig vision;
  Blip2QFormerConfig qformer;
  OptConfig text;
  int64_t num_query_tokens = 32;
  // transformers >= 4.47: the prompt holds num_query_tokens slots of this id, filled by
  // the projected queries. -1 (older configs): the queries are put before the prompt.
  int64_t image_token_index = -1;
};

// Parses a blip-2 config.json; bad or unsupported values are argus::Error naming the key.
Blip2Config parse_blip2_config(const nlohmann::json& j);

// OPTConfig (text_config, or an opt config.json by itself).
OptConfig parse_opt_config(const nlohmann::json& j, const std::string& where);

}  // namespace argus::models::blip2
