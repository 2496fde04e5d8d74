// open_clip_config.json as open_clip's push_to_hf_hub writes it: {"model_cfg": {...},
// "preprocess_cfg": {...}}, with open_clip's defaults for keys a file leaves out.
// Only the towers of OpenAI's clip/model.py are implemented (ModifiedResNet, ViT, the
// causal text transformer); a config asking for anything else is an error naming the key.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace argus::models::open_clip {

struct VisionConfig {
  bool resnet = false;              // vision_cfg.layers is a list of 4
  std::vector<int64_t> res_layers;  // ResNet: blocks per stage
  int64_t layers = 12;              // ViT: transformer blocks
  int64_t width = 768, head_width = 64, image_size = 224, patch_size = 16;
  double mlp_ratio = 4.0;
  int64_t heads() const { return (resnet ? width * 32 : width) / head_width; }
};

struct TextConfig {
  int64_t context_length = 77, vocab_size = 49408, width = 512, heads = 8, layers = 12;
  double mlp_ratio = 4.0;
};

struct PreprocessConfig {
  int64_t size = 0;  // the transform's image size; 0: vision_cfg.image_size
  bool squash = false;  // resize_mode "squash": stretch to the square, no crop
  std::array<double, 3> mean{0.48145466, 0.4578275, 0.40821073}, std{0.26862954, 0.26130258, 0.27577711};
};

struct OpenClipConfig {
  int64_t embed_dim = 512;
  bool quick_gelu = false;  // open_clip's default: exact erf GELU
  VisionConfig vision;
  TextConfig text;
  PreprocessConfig preprocess;
  std::string activation() const { return quick_gelu ? "quick_gelu" : "gelu"; }
};

// `what` names the file in errors.
OpenClipConfig parse_open_clip_config(const nlohmann::json& j, const std::string& what);

// open_clip_config.json for `c`, which parse_open_clip_config reads back to `c`.
nlohmann::json to_json(const OpenClipConfig& c);

}  // namespace argus::models::open_clip
