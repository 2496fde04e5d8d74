#include "models/grounding_dino/grounding_dino_config.h"

#include <algorithm>

#include "io/json_file.h"
#include "util/error.h"

namespace argus::models::grounding_dino {

int64_t SwinConfig::channels_of(int64_t stage_index) const {
  if (stage_index <= 1) return embed_dim;
  return embed_dim << (stage_index - 1);
}

namespace {

SwinConfig parse_swin(const nlohmann::json& j) {
  SwinConfig c;
  std::string type = io::get_or<std::string>(j, "model_type", "swin");
  if (type != "swin")
    fail("config: backbone_config.model_type \"{}\" is not supported (Grounding DINO here runs a Swin backbone)", type);
  c.embed_dim = io::get_or<int64_t>(j, "embed_dim", c.embed_dim);
  c.depths = io::get_or<std::vector<int64_t>>(j, "depths", c.depths);
  c.num_heads = io::get_or<std::vector<int64_t>>(j, "num_heads", c.num_heads);
  c.window_size = io::get_or<int64_t>(j, "window_size", c.window_size);
  c.mlp_ratio = io::get_or<double>(j, "mlp_ratio", c.mlp_ratio);
  c.qkv_bias = io::get_or<bool>(j, "qkv_bias", c.qkv_bias);
  c.hidden_act = io::get_or<std::string>(j, "hidden_act", c.hidden_act);
  c.layer_norm_eps = io::get_or<double>(j, "layer_norm_eps", c.layer_norm_eps);
  c.patch_size = io::get_or<int64_t>(j, "patch_size", c.patch_size);
  c.num_channels = io::get_or<int64_t>(j, "num_channels", c.num_channels);
  if (io::get_or<bool>(j, "use_absolute_embeddings", false))
    fail("config: backbone_config.use_absolute_embeddings = true is not supported");
  if (c.depths.empty() || c.depths.size() != c.num_heads.size())
    fail("config: backbone_config.depths and num_heads must be non-empty and of equal length");
  if (c.window_size < 1 || c.patch_size < 1 || c.embed_dim < 1)
    fail("config: backbone_config window_size, patch_size and embed_dim must be positive");
  for (size_t i = 0; i < c.depths.size(); ++i)
    if (c.num_heads[i] < 1 || c.channels_of(static_cast<int64_t>(i) + 1) % c.num_heads[i] != 0)
      fail("config: backbone_config.num_heads[{}] = {} does not divide the stage width", i, c.num_heads[i]);
  // Which stages feed the detector: out_indices wins, out_features names them, else the last stage.
  if (j.contains("out_indices") && !j["out_indices"].is_null()) {
    c.out_indices = io::get_or<std::vector<int64_t>>(j, "out_indices", c.out_indices);
  } else if (j.contains("out_features") && !j["out_features"].is_null()) {
    c.out_indices.clear();
    for (const auto& name : io::get_or<std::vector<std::string>>(j, "out_features", {})) {
      if (name == "stem") c.out_indices.push_back(0);
      else if (name.rfind("stage", 0) == 0) c.out_indices.push_back(std::stoll(name.substr(5)));
      else fail("config: backbone_config.out_features has an unknown stage \"{}\"", name);
    }
  } else {
    c.out_indices = {c.num_stages()};
  }
  if (c.out_indices.empty()) fail("config: backbone_config selects no output stage");
  for (int64_t i : c.out_indices)
    if (i < 0 || i > c.num_stages()) fail("config: backbone_config.out_indices has {} (stages are 0..{})", i, c.num_stages());
  if (!std::is_sorted(c.out_indices.begin(), c.out_indices.end()))
    fail("config: backbone_config.out_indices must be increasing");
  return c;
}

BertConfig parse_bert(const nlohmann::json& j) {
  BertConfig c;
  std::string type = io::get_or<std::string>(j, "model_type", "bert");
  if (type != "bert") fail("config: text_config.model_type \"{}\" is not supported (expected bert)", type);
  c.vocab_size = io::get_or<int64_t>(j, "vocab_size", c.vocab_size);
  c.hidden_size = io::get_or<int64_t>(j, "hidden_size", c.hidden_size);
  c.num_hidden_layers = io::get_or<int64_t>(j, "num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = io::get_or<int64_t>(j, "num_attention_heads", c.num_attention_heads);
  c.intermediate_size = io::get_or<int64_t>(j, "intermediate_size", c.intermediate_size);
  c.hidden_act = io::get_or<std::string>(j, "hidden_act", c.hidden_act);
  c.max_position_embeddings = io::get_or<int64_t>(j, "max_position_embeddings", c.max_position_embeddings);
  c.type_vocab_size = io::get_or<int64_t>(j, "type_vocab_size", c.type_vocab_size);
  c.layer_norm_eps = io::get_or<double>(j, "layer_norm_eps", c.layer_norm_eps);
  std::string pos = io::get_or<std::string>(j, "position_embedding_type", "absolute");
  if (pos != "absolute") fail("config: text_config.position_embedding_type \"{}\" is not supported", pos);
  if (c.num_attention_heads < 1 || c.hidden_size % c.num_attention_heads != 0)
    fail("config: text_config.hidden_size {} is not a multiple of num_attention_heads {}", c.hidden_size,
         c.num_attention_heads);
  return c;
}

}  // namespace

GroundingDinoConfig parse_config(const nlohmann::json& j) {
  GroundingDinoConfig c;
  std::string type = io::get_or<std::string>(j, "model_type", "grounding-dino");
  if (type != "grounding-dino") fail("config: model_type \"{}\" is not grounding-dino", type);
  if (io::get_or<bool>(j, "use_timm_backbone", false)) fail("config: use_timm_backbone = true is not supported");
  if (j.contains("backbone") && !j["backbone"].is_null())
    fail("config: a named backbone (\"backbone\": {}) is not supported; use backbone_config", j["backbone"].dump());
  c.backbone = parse_swin(j.value("backbone_config", nlohmann::json::object()));
  c.text = parse_bert(j.value("text_config", nlohmann::json::object()));
  c.d_model = io::get_or<int64_t>(j, "d_model", c.d_model);
  c.encoder_layers = io::get_or<int64_t>(j, "encoder_layers", c.encoder_layers);
  c.decoder_layers = io::get_or<int64_t>(j, "decoder_layers", c.decoder_layers);
  c.encoder_attention_heads = io::get_or<int64_t>(j, "encoder_attention_heads", c.encoder_attention_heads);
  c.decoder_attention_heads = io::get_or<int64_t>(j, "decoder_attention_heads", c.decoder_attention_heads);
  c.encoder_ffn_dim = io::get_or<int64_t>(j, "encoder_ffn_dim", c.encoder_ffn_dim);
  c.decoder_ffn_dim = io::get_or<int64_t>(j, "decoder_ffn_dim", c.decoder_ffn_dim);
  c.encoder_n_points = io::get_or<int64_t>(j, "encoder_n_points", c.encoder_n_points);
  c.decoder_n_points = io::get_or<int64_t>(j, "decoder_n_points", c.decoder_n_points);
  c.num_feature_levels = io::get_or<int64_t>(j, "num_feature_levels", c.num_feature_levels);
  c.num_queries = io::get_or<int64_t>(j, "num_queries", c.num_queries);
  c.max_text_len = io::get_or<int64_t>(j, "max_text_len", c.max_text_len);
  c.layer_norm_eps = io::get_or<double>(j, "layer_norm_eps", c.layer_norm_eps);
  c.activation_function = io::get_or<std::string>(j, "activation_function", c.activation_function);
  c.positional_embedding_temperature =
      io::get_or<double>(j, "positional_embedding_temperature", c.positional_embedding_temperature);
  c.two_stage = io::get_or<bool>(j, "two_stage", c.two_stage);
  c.embedding_init_target = io::get_or<bool>(j, "embedding_init_target", c.embedding_init_target);
  c.decoder_bbox_embed_share = io::get_or<bool>(j, "decoder_bbox_embed_share", c.decoder_bbox_embed_share);

  std::string pos = io::get_or<std::string>(j, "position_embedding_type", "sine");
  if (pos != "sine") fail("config: position_embedding_type \"{}\" is not supported (only sine)", pos);
  int64_t query_dim = io::get_or<int64_t>(j, "query_dim", 4);
  if (query_dim != 4) fail("config: query_dim {} is not supported (only 4: boxes as queries)", query_dim);
  if (c.d_model < 2 || c.d_model % 2 != 0) fail("config: d_model {} must be even", c.d_model);
  if (c.encoder_attention_heads < 2 || c.d_model % c.encoder_attention_heads != 0 ||
      (c.encoder_ffn_dim / 2) % (c.encoder_attention_heads / 2) != 0 || c.d_model % (c.encoder_attention_heads / 2) != 0)
    fail("config: encoder_attention_heads {} does not divide d_model {} / encoder_ffn_dim/2 {}",
         c.encoder_attention_heads, c.d_model, c.encoder_ffn_dim / 2);
  if (c.decoder_attention_heads < 1 || c.d_model % c.decoder_attention_heads != 0)
    fail("config: decoder_attention_heads {} does not divide d_model {}", c.decoder_attention_heads, c.d_model);
  if (c.d_model % 32 != 0) fail("config: d_model {} must be a multiple of 32 (GroupNorm with 32 groups)", c.d_model);
  int64_t outs = static_cast<int64_t>(c.backbone.out_indices.size());
  if (c.num_feature_levels < outs)
    fail("config: num_feature_levels {} is fewer than the backbone's {} outputs", c.num_feature_levels, outs);
  if (c.num_queries < 1 || c.max_text_len < 1 || c.decoder_layers < 1)
    fail("config: num_queries, max_text_len and decoder_layers must be positive");
  return c;
}

}  // namespace argus::models::grounding_dino
