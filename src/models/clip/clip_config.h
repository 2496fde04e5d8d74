// CLIPConfig with transformers' defaults for keys a config.json leaves out.
#pragma once
#include <nlohmann/json.hpp>

#include "nn/vit_encoder.h"

namespace argus::models::clip {

struct ClipTextConfig {
  nn::EncoderDims enc{512, 2048, 8, 12, 1e-5, "quick_gelu"};
  int64_t vocab_size = 49408, max_position_embeddings = 77;
  int64_t pad_token_id = 1, bos_token_id = 49406, eos_token_id = 49407;
};

struct ClipVisionConfig {
  nn::EncoderDims enc{768, 3072, 12, 12, 1e-5, "quick_gelu"};
  int64_t image_size = 224, patch_size = 32, num_channels = 3;
};

struct ClipConfig {
  ClipTextConfig text;
  ClipVisionConfig vision;
  int64_t projection_dim = 512;
  double logit_scale_init_value = 2.6592;
};

ClipTextConfig parse_text_config(const nlohmann::json& j);
ClipVisionConfig parse_vision_config(const nlohmann::json& j);
ClipConfig parse_config(const nlohmann::json& j);

// Reads the encoder keys shared by CLIP-like towers into `d` (keeping defaults).
void read_encoder_dims(const nlohmann::json& j, nn::EncoderDims& d);

}  // namespace argus::models::clip

namespace argus::models::clip {
// config.json as transformers writes it for CLIPModel (what parse_config reads back).
nlohmann::json to_json(const ClipConfig& c);
nlohmann::json to_json(const ClipVisionConfig& c);  // a vision_config object
}  // namespace argus::models::clip
