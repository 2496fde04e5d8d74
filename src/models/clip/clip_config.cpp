#include "models/clip/clip_config.h"

#include "io/json_file.h"

namespace argus::models::clip {

using io::get_or;

void read_encoder_dims(const nlohmann::json& j, nn::EncoderDims& d) {
  d.hidden = get_or<int64_t>(j, "hidden_size", d.hidden);
  d.intermediate = get_or<int64_t>(j, "intermediate_size", d.intermediate);
  d.heads = get_or<int64_t>(j, "num_attention_heads", d.heads);
  d.layers = get_or<int64_t>(j, "num_hidden_layers", d.layers);
  d.eps = get_or<double>(j, "layer_norm_eps", d.eps);
  d.act = get_or<std::string>(j, "hidden_act", d.act);
  if (d.hidden <= 0 || d.heads <= 0 || d.hidden % d.heads != 0 || d.layers < 0 || d.intermediate <= 0)
    fail("config: hidden_size {} must be a positive multiple of num_attention_heads {}", d.hidden, d.heads);
}

ClipTextConfig parse_text_config(const nlohmann::json& j) {
  ClipTextConfig c;
  read_encoder_dims(j, c.enc);
  c.vocab_size = get_or<int64_t>(j, "vocab_size", c.vocab_size);
  c.max_position_embeddings = get_or<int64_t>(j, "max_position_embeddings", c.max_position_embeddings);
  c.pad_token_id = get_or<int64_t>(j, "pad_token_id", c.pad_token_id);
  c.bos_token_id = get_or<int64_t>(j, "bos_token_id", c.bos_token_id);
  c.eos_token_id = get_or<int64_t>(j, "eos_token_id", c.eos_token_id);
  return c;
}

ClipVisionConfig parse_vision_config(const nlohmann::json& j) {
  ClipVisionConfig c;
  read_encoder_dims(j, c.enc);
  c.image_size = get_or<int64_t>(j, "image_size", c.image_size);
  c.patch_size = get_or<int64_t>(j, "patch_size", c.patch_size);
  c.num_channels = get_or<int64_t>(j, "num_channels", c.num_channels);
  if (c.patch_size <= 0 || c.image_size < c.patch_size)
    fail("config: image_size {} / patch_size {} make no patches", c.image_size, c.patch_size);
  return c;
}

ClipConfig parse_config(const nlohmann::json& j) {
  ClipConfig c;
  c.text = parse_text_config(j.value("text_config", nlohmann::json::object()));
  c.vision = parse_vision_config(j.value("vision_config", nlohmann::json::object()));
  c.projection_dim = get_or<int64_t>(j, "projection_dim", c.projection_dim);
  c.logit_scale_init_value = get_or<double>(j, "logit_scale_init_value", c.logit_scale_init_value);
  return c;
}

}  // namespace argus::models::clip

namespace argus::models::clip {
namespace {
nlohmann::json encoder_json(const nn::EncoderDims& d) {
  return {{"hidden_size", d.hidden},     {"intermediate_size", d.intermediate}, {"num_attention_heads", d.heads},
          {"num_hidden_layers", d.layers}, {"layer_norm_eps", d.eps},            {"hidden_act", d.act}};
}
}  // namespace

nlohmann::json to_json(const ClipVisionConfig& c) {
  nlohmann::json vision = encoder_json(c.enc);
  vision["model_type"] = "clip_vision_model";
  vision["image_size"] = c.image_size;
  vision["patch_size"] = c.patch_size;
  vision["num_channels"] = c.num_channels;
  return vision;
}

nlohmann::json to_json(const ClipConfig& c) {
  nlohmann::json text = encoder_json(c.text.enc);
  text["model_type"] = "clip_text_model";
  text["vocab_size"] = c.text.vocab_size;
  text["max_position_embeddings"] = c.text.max_position_embeddings;
  text["pad_token_id"] = c.text.pad_token_id;
  text["bos_token_id"] = c.text.bos_token_id;
  text["eos_token_id"] = c.text.eos_token_id;
  nlohmann::json vision = to_json(c.vision);
  return {{"model_type", "clip"},
          {"architectures", {"CLIPModel"}},
          {"text_config", text},
          {"vision_config", vision},
          {"projection_dim", c.projection_dim},
          {"logit_scale_init_value", c.logit_scale_init_value}};
}

}  // namespace argus::models::clip
