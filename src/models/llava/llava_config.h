// LlavaConfig with transformers' defaults: a CLIP vision tower, a projector and a
// Llama-shaped decoder (llama, mistral or qwen2 text_config).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/clip/clip_config.h"
#include "models/llama/llama_config.h"

namespace argus::models::llava {

struct LlavaConfig {
  clip::ClipVisionConfig vision;
  llama::LlamaConfig text;
  nlohmann::json text_config;  // as given (load_llama reads it again)
  int64_t image_token_index = 32000;
  // Hidden states of the vision tower fed to the projector, as indices into
  // transformers' hidden_states (0 = embeddings, -1 = last layer); several are
  // concatenated along the feature axis.
  std::vector<int64_t> vision_feature_layers{-2};
  std::string vision_feature_select_strategy = "default";  // "default": drop CLS, "full": keep it
  // "mlp2x_gelu": linear_1 -> act -> linear_2 (llava-1.5, llava-hf); "linear": linear_1 only (llava-1.0).
  std::string projector_type = "mlp2x_gelu";
  std::string projector_hidden_act = "gelu";
  bool projector_bias = true;  // multimodal_projector_bias
  // Original LLaVA's image_aspect_ratio "pad": expand images to a square with the mean colour first.
  bool pad_to_square = false;

  // hidden_states indices resolved to 0..num_hidden_layers.
  std::vector<int64_t> resolved_feature_layers() const;
  // Width of the projector's input: vision hidden size times the number of feature layers.
  int64_t projector_in_features() const;
  // Features one image becomes: patches (+ CLS with the "full" strategy).
  int64_t features_per_image() const;
};

// config.json for a LLaVA with a single feature layer, in llava-hf's form.
nlohmann::json to_json(const LlavaConfig& c);

// Parses a llava config.json; bad values are argus::Error naming the key (and
// `family`, as LLaVA-NeXT parses its shared keys through here too).
LlavaConfig parse_llava_config(const nlohmann::json& j, const char* family = "llava");

}  // namespace argus::models::llava
