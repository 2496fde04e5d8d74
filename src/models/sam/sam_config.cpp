#include "models/sam/sam_config.h"

#include <cmath>

#include "io/json_file.h"
#include "util/error.h"

namespace argus::models::sam {

using io::get_or;

namespace {

SamVisionConfig parse_vision(const nlohmann::json& j) {
  SamVisionConfig c;
  c.hidden_size = get_or<int64_t>(j, "hidden_size", c.hidden_size);
  c.num_hidden_layers = get_or<int64_t>(j, "num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = get_or<int64_t>(j, "num_attention_heads", c.num_attention_heads);
  double mlp_ratio = get_or<double>(j, "mlp_ratio", 4.0);
  c.mlp_dim = get_or<int64_t>(j, "mlp_dim", static_cast<int64_t>(c.hidden_size * mlp_ratio));
  c.output_channels = get_or<int64_t>(j, "output_channels", c.output_channels);
  c.num_channels = get_or<int64_t>(j, "num_channels", c.num_channels);
  c.image_size = get_or<int64_t>(j, "image_size", c.image_size);
  c.patch_size = get_or<int64_t>(j, "patch_size", c.patch_size);
  c.window_size = get_or<int64_t>(j, "window_size", c.window_size);
  c.num_pos_feats = get_or<int64_t>(j, "num_pos_feats", c.num_pos_feats);
  c.global_attn_indexes = get_or<std::vector<int64_t>>(j, "global_attn_indexes", c.global_attn_indexes);
  c.qkv_bias = get_or<bool>(j, "qkv_bias", c.qkv_bias);
  c.use_abs_pos = get_or<bool>(j, "use_abs_pos", c.use_abs_pos);
  c.use_rel_pos = get_or<bool>(j, "use_rel_pos", c.use_rel_pos);
  c.layer_norm_eps = get_or<double>(j, "layer_norm_eps", c.layer_norm_eps);
  c.hidden_act = get_or<std::string>(j, "hidden_act", c.hidden_act);
  if (c.hidden_size <= 0 || c.num_attention_heads <= 0 || c.hidden_size % c.num_attention_heads != 0)
    fail("config: vision_config.hidden_size {} must be a positive multiple of num_attention_heads {}", c.hidden_size,
         c.num_attention_heads);
  if (c.patch_size <= 0 || c.image_size % c.patch_size != 0 || c.image_size < c.patch_size)
    fail("config: vision_config.image_size {} is not a multiple of patch_size {}", c.image_size, c.patch_size);
  if (c.window_size < 0 || c.num_hidden_layers < 0 || c.mlp_dim <= 0 || c.output_channels <= 0)
    fail("config: vision_config has a negative window_size / num_hidden_layers or non-positive mlp_dim / output_channels");
  return c;
}

SamPromptEncoderConfig parse_prompt(const nlohmann::json& j) {
  SamPromptEncoderConfig c;
  c.hidden_size = get_or<int64_t>(j, "hidden_size", c.hidden_size);
  c.image_size = get_or<int64_t>(j, "image_size", c.image_size);
  c.patch_size = get_or<int64_t>(j, "patch_size", c.patch_size);
  c.image_embedding_size = get_or<int64_t>(j, "image_embedding_size", c.image_embedding_size);
  c.mask_input_channels = get_or<int64_t>(j, "mask_input_channels", c.mask_input_channels);
  c.num_point_embeddings = get_or<int64_t>(j, "num_point_embeddings", c.num_point_embeddings);
  c.layer_norm_eps = get_or<double>(j, "layer_norm_eps", c.layer_norm_eps);
  c.hidden_act = get_or<std::string>(j, "hidden_act", c.hidden_act);
  if (c.hidden_size <= 0 || c.image_size <= 0 || c.image_embedding_size <= 0)
    fail("config: prompt_encoder_config sizes must be positive");
  if (c.mask_input_channels < 4 || c.mask_input_channels % 4 != 0)
    fail("config: prompt_encoder_config.mask_input_channels {} must be a positive multiple of 4", c.mask_input_channels);
  if (c.num_point_embeddings != 4)
    fail("config: prompt_encoder_config.num_point_embeddings is {}, SAM uses 4 (neg, pos, box corners)",
         c.num_point_embeddings);
  return c;
}

SamMaskDecoderConfig parse_decoder(const nlohmann::json& j) {
  SamMaskDecoderConfig c;
  c.hidden_size = get_or<int64_t>(j, "hidden_size", c.hidden_size);
  c.num_hidden_layers = get_or<int64_t>(j, "num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = get_or<int64_t>(j, "num_attention_heads", c.num_attention_heads);
  c.mlp_dim = get_or<int64_t>(j, "mlp_dim", c.mlp_dim);
  c.attention_downsample_rate = get_or<int64_t>(j, "attention_downsample_rate", c.attention_downsample_rate);
  c.num_multimask_outputs = get_or<int64_t>(j, "num_multimask_outputs", c.num_multimask_outputs);
  c.iou_head_depth = get_or<int64_t>(j, "iou_head_depth", c.iou_head_depth);
  c.iou_head_hidden_dim = get_or<int64_t>(j, "iou_head_hidden_dim", c.iou_head_hidden_dim);
  c.layer_norm_eps = get_or<double>(j, "layer_norm_eps", c.layer_norm_eps);
  c.hidden_act = get_or<std::string>(j, "hidden_act", c.hidden_act);
  if (c.hidden_size <= 0 || c.hidden_size % 8 != 0)
    fail("config: mask_decoder_config.hidden_size {} must be a positive multiple of 8", c.hidden_size);
  if (c.attention_downsample_rate <= 0 || c.num_attention_heads <= 0 ||
      (c.hidden_size / c.attention_downsample_rate) % c.num_attention_heads != 0)
    fail("config: mask_decoder_config.num_attention_heads {} must divide hidden_size / attention_downsample_rate",
         c.num_attention_heads);
  if (c.iou_head_depth < 2 || c.num_multimask_outputs < 1 || c.mlp_dim <= 0 || c.num_hidden_layers < 0)
    fail("config: mask_decoder_config needs iou_head_depth >= 2, num_multimask_outputs >= 1 and mlp_dim > 0");
  return c;
}

}  // namespace

SamConfig parse_config(const nlohmann::json& j) {
  SamConfig c;
  c.vision = parse_vision(j.value("vision_config", nlohmann::json::object()));
  c.prompt = parse_prompt(j.value("prompt_encoder_config", nlohmann::json::object()));
  c.decoder = parse_decoder(j.value("mask_decoder_config", nlohmann::json::object()));
  if (c.prompt.hidden_size != c.decoder.hidden_size || c.prompt.hidden_size != c.vision.output_channels)
    fail("config: prompt_encoder_config.hidden_size {}, mask_decoder_config.hidden_size {} and "
         "vision_config.output_channels {} must be equal",
         c.prompt.hidden_size, c.decoder.hidden_size, c.vision.output_channels);
  if (2 * c.vision.num_pos_feats != c.prompt.hidden_size)
    fail("config: 2 * vision_config.num_pos_feats ({}) must equal prompt_encoder_config.hidden_size ({})",
         2 * c.vision.num_pos_feats, c.prompt.hidden_size);
  if (c.prompt.image_embedding_size != c.vision.grid())
    fail("config: prompt_encoder_config.image_embedding_size {} != vision image_size / patch_size {}",
         c.prompt.image_embedding_size, c.vision.grid());
  return c;
}

nlohmann::json to_json(const SamConfig& c) {
  const auto& v = c.vision;
  const auto& p = c.prompt;
  const auto& d = c.decoder;
  return {{"architectures", {"SamModel"}},
          {"model_type", "sam"},
          {"vision_config",
           {{"hidden_size", v.hidden_size}, {"num_hidden_layers", v.num_hidden_layers},
            {"num_attention_heads", v.num_attention_heads}, {"mlp_dim", v.mlp_dim},
            {"output_channels", v.output_channels}, {"num_channels", v.num_channels}, {"image_size", v.image_size},
            {"patch_size", v.patch_size}, {"window_size", v.window_size}, {"num_pos_feats", v.num_pos_feats},
            {"global_attn_indexes", v.global_attn_indexes}, {"qkv_bias", v.qkv_bias}, {"use_abs_pos", v.use_abs_pos},
            {"use_rel_pos", v.use_rel_pos}, {"layer_norm_eps", v.layer_norm_eps}, {"hidden_act", v.hidden_act},
            {"model_type", "sam_vision_model"}}},
          {"prompt_encoder_config",
           {{"hidden_size", p.hidden_size}, {"image_size", p.image_size}, {"patch_size", p.patch_size},
            {"image_embedding_size", p.image_embedding_size}, {"mask_input_channels", p.mask_input_channels},
            {"num_point_embeddings", p.num_point_embeddings}, {"layer_norm_eps", p.layer_norm_eps},
            {"hidden_act", p.hidden_act}}},
          {"mask_decoder_config",
           {{"hidden_size", d.hidden_size}, {"num_hidden_layers", d.num_hidden_layers},
            {"num_attention_heads", d.num_attention_heads}, {"mlp_dim", d.mlp_dim},
            {"attention_downsample_rate", d.attention_downsample_rate},
            {"num_multimask_outputs", d.num_multimask_outputs}, {"iou_head_depth", d.iou_head_depth},
            {"iou_head_hidden_dim", d.iou_head_hidden_dim}, {"layer_norm_eps", d.layer_norm_eps},
            {"hidden_act", d.hidden_act}}}};
}

}  // namespace argus::models::sam
