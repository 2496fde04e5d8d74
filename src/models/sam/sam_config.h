// SamConfig (transformers' SamModel) with the class defaults for keys a config.json
// leaves out: vision_config, prompt_encoder_config, mask_decoder_config.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace argus::models::sam {

struct SamVisionConfig {
  int64_t hidden_size = 768, num_hidden_layers = 12, num_attention_heads = 12, mlp_dim = 3072;
  int64_t output_channels = 256, num_channels = 3, image_size = 1024, patch_size = 16;
  int64_t window_size = 14, num_pos_feats = 128;
  std::vector<int64_t> global_attn_indexes{2, 5, 8, 11};
  bool qkv_bias = true, use_abs_pos = true, use_rel_pos = true;
  double layer_norm_eps = 1e-6;
  std::string hidden_act = "gelu";
  int64_t grid() const { return image_size / patch_size; }  // 64 for SAM
};

struct SamPromptEncoderConfig {
  int64_t hidden_size = 256, image_size = 1024, patch_size = 16, image_embedding_size = 64;
  int64_t mask_input_channels = 16, num_point_embeddings = 4;
  double layer_norm_eps = 1e-6;
  std::string hidden_act = "gelu";
};

struct SamMaskDecoderConfig {
  int64_t hidden_size = 256, num_hidden_layers = 2, num_attention_heads = 8, mlp_dim = 2048;
  int64_t attention_downsample_rate = 2, num_multimask_outputs = 3, iou_head_depth = 3, iou_head_hidden_dim = 256;
  double layer_norm_eps = 1e-6;
  std::string hidden_act = "relu";
};

struct SamConfig {
  SamVisionConfig vision;
  SamPromptEncoderConfig prompt;
  SamMaskDecoderConfig decoder;
};

// Parses and cross-checks the three sub-configs (widths that must agree, grid
// sizes); inconsistencies are argus::Error naming the keys.
SamConfig parse_config(const nlohmann::json& j);

// config.json for a SamModel (what parse_config reads back to the same SamConfig).
nlohmann::json to_json(const SamConfig& c);

}  // namespace argus::models::sam
