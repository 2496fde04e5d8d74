// GroundingDinoConfig as transformers writes it (config.json), with its
// defaults, plus the nested Swin backbone and BERT text configs. Options the
// implementation does not cover are refused here, once, with the key's name.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace argus::models::grounding_dino {

struct SwinConfig {
  int64_t embed_dim = 96;
  std::vector<int64_t> depths{2, 2, 6, 2};
  std::vector<int64_t> num_heads{3, 6, 12, 24};
  int64_t window_size = 7;
  double mlp_ratio = 4.0;
  bool qkv_bias = true;
  std::string hidden_act = "gelu";
  double layer_norm_eps = 1e-5;
  int64_t patch_size = 4;
  int64_t num_channels = 3;
  // Indices into stage_names ("stem", "stage1", ...) whose feature maps are returned.
  std::vector<int64_t> out_indices{2, 3, 4};

  int64_t num_stages() const { return static_cast<int64_t>(depths.size()); }
  // Channels of stage_names[i]: stem = embed_dim, stage k = embed_dim * 2^(k-1).
  int64_t channels_of(int64_t stage_index) const;
};

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
};

struct GroundingDinoConfig {
  SwinConfig backbone;
  BertConfig text;
  int64_t d_model = 256;
  int64_t encoder_layers = 6;
  int64_t decoder_layers = 6;
  int64_t encoder_attention_heads = 8;
  int64_t decoder_attention_heads = 8;
  int64_t encoder_ffn_dim = 2048;
  int64_t decoder_ffn_dim = 2048;
  int64_t encoder_n_points = 4;
  int64_t decoder_n_points = 4;
  int64_t num_feature_levels = 4;
  int64_t num_queries = 900;
  int64_t max_text_len = 256;
  double layer_norm_eps = 1e-5;
  std::string activation_function = "relu";
  double positional_embedding_temperature = 20;
  bool two_stage = true;
  bool embedding_init_target = true;
  bool decoder_bbox_embed_share = true;
};

// Parses config.json; throws argus::Error on an unsupported backbone, text model,
// position embedding type or query_dim, and on inconsistent sizes.
GroundingDinoConfig parse_config(const nlohmann::json& j);

}  // namespace argus::models::grounding_dino
