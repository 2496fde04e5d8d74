#include "models/llava/llava_config.h"

#include "io/json_file.h"
#include "util/error.h"

namespace argus::models::llava {

using io::get_or;

namespace {

// transformers' LlavaConfig builds this CLIP ViT-L/14-336 tower when vision_config is absent.
nlohmann::json default_vision_config() {
  return {{"model_type", "clip_vision_model"}, {"hidden_size", 1024}, {"intermediate_size", 4096},
          {"num_attention_heads", 16},         {"num_hidden_layers", 24}, {"image_size", 336},
          {"patch_size", 14},                  {"projection_dim", 768},   {"hidden_act", "quick_gelu"}};
}

}  // namespace

LlavaConfig parse_llava_config(const nlohmann::json& j, const char* family) {
  if (!j.is_object()) fail("{} config: expected a JSON object", family);
  LlavaConfig c;
  nlohmann::json vc = j.contains("vision_config") && !j["vision_config"].is_null() ? j["vision_config"]
                                                                                   : default_vision_config();
  std::string vtype = get_or<std::string>(vc, "model_type", "clip_vision_model");
  if (vtype != "clip_vision_model")
    fail("{} config: vision_config.model_type \"{}\" is not supported (argus has clip_vision_model)", family, vtype);
  c.vision = clip::parse_vision_config(vc);

  c.text_config = j.contains("text_config") && !j["text_config"].is_null() ? j["text_config"]
                                                                           : nlohmann::json::object();
  if (!c.text_config.contains("model_type")) c.text_config["model_type"] = "llama";
  c.text = llama::parse_llama_config(c.text_config);

  c.image_token_index = get_or<int64_t>(j, "image_token_index", get_or<int64_t>(j, "image_token_id", 32000));
  if (c.image_token_index < 0) fail("{} config: image_token_index must be >= 0, got {}", family, c.image_token_index);

  auto fl = j.find("vision_feature_layer");
  if (fl != j.end() && !fl->is_null()) {
    c.vision_feature_layers.clear();
    if (fl->is_number_integer()) {
      c.vision_feature_layers.push_back(fl->get<int64_t>());
    } else if (fl->is_array() && !fl->empty()) {
      for (const auto& v : *fl) {
        if (!v.is_number_integer())
          fail("{} config: vision_feature_layer has a non-integer entry {}", family, v.dump());
        c.vision_feature_layers.push_back(v.get<int64_t>());
      }
    } else {
      fail("{} config: vision_feature_layer must be an integer or a non-empty list, got {}", family, fl->dump());
    }
  }
  c.resolved_feature_layers();  // validates the range

  c.vision_feature_select_strategy = get_or<std::string>(j, "vision_feature_select_strategy", "default");
  if (c.vision_feature_select_strategy != "default" && c.vision_feature_select_strategy != "full")
    fail("{} config: vision_feature_select_strategy \"{}\" is not \"default\" or \"full\"", family,
         c.vision_feature_select_strategy);
  c.projector_type = get_or<std::string>(j, "mm_projector_type", c.projector_type);
  if (c.projector_type != "mlp2x_gelu" && c.projector_type != "linear")
    fail("{} config: mm_projector_type \"{}\" is not \"linear\" or \"mlp2x_gelu\"", family, c.projector_type);
  c.projector_hidden_act = get_or<std::string>(j, "projector_hidden_act", c.projector_hidden_act);
  c.projector_bias = get_or<bool>(j, "multimodal_projector_bias", true);
  std::string aspect = get_or<std::string>(j, "image_aspect_ratio", "");
  c.pad_to_square = aspect == "pad";
  return c;
}

std::vector<int64_t> LlavaConfig::resolved_feature_layers() const {
  int64_t n = vision.enc.layers;
  std::vector<int64_t> out;
  for (int64_t l : vision_feature_layers) {
    int64_t r = l < 0 ? n + 1 + l : l;
    if (r < 0 || r > n)
      fail("llava config: vision_feature_layer {} is outside the tower's {} hidden states", l, n + 1);
    out.push_back(r);
  }
  return out;
}

int64_t LlavaConfig::projector_in_features() const {
  return vision.enc.hidden * static_cast<int64_t>(vision_feature_layers.size());
}

int64_t LlavaConfig::features_per_image() const {
  int64_t side = vision.image_size / vision.patch_size;
  return side * side + (vision_feature_select_strategy == "full" ? 1 : 0);
}

nlohmann::json to_json(const LlavaConfig& c) {
  if (c.vision_feature_layers.size() != 1 || c.projector_type != "mlp2x_gelu" || c.pad_to_square)
    fail("to_json: only single-layer, mlp2x_gelu LLaVA configs are written");
  return {{"model_type", "llava"},
          {"architectures", {"LlavaForConditionalGeneration"}},
          {"image_token_index", c.image_token_index},
          {"image_seq_length", c.features_per_image()},
          {"vision_feature_layer", c.vision_feature_layers[0]},
          {"vision_feature_select_strategy", c.vision_feature_select_strategy},
          {"projector_hidden_act", c.projector_hidden_act},
          {"multimodal_projector_bias", c.projector_bias},
          {"vision_config", clip::to_json(c.vision)},
          {"text_config", llama::to_json(c.text)}};
}

}  // namespace argus::models::llava
