#include "models/detr/detr_config.h"

#include <cstdlib>

#include "io/json_file.h"
#include "nn/activation.h"
#include "util/error.h"

namespace argus::models::detr {

namespace {

// Stage names are transformers' BackboneMixin ones: "stem", "stage1", ...
int64_t stage_index(const std::string& name, int64_t n_stages) {
  if (name == "stem") return 0;
  if (name.rfind("stage", 0) == 0 && name.size() > 5 && name.find_first_not_of("0123456789", 5) == std::string::npos) {
    int64_t k = std::atoll(name.c_str() + 5);
    if (k >= 1 && k <= n_stages) return k;
  }
  fail("config: backbone_config.out_features has an unknown stage \"{}\" (stages are stem, stage1..stage{})", name,
       n_stages);
}

ResNetConfig parse_resnet(const nlohmann::json& j) {
  ResNetConfig c;
  const std::string type = io::get_or<std::string>(j, "model_type", "resnet");
  if (type != "resnet")
    fail("config: backbone_config.model_type \"{}\" is not supported (DETR here runs transformers' ResNet)", type);
  c.num_channels = io::get_or<int64_t>(j, "num_channels", c.num_channels);
  c.embedding_size = io::get_or<int64_t>(j, "embedding_size", c.embedding_size);
  c.hidden_sizes = io::get_or<std::vector<int64_t>>(j, "hidden_sizes", c.hidden_sizes);
  c.depths = io::get_or<std::vector<int64_t>>(j, "depths", c.depths);
  c.layer_type = io::get_or<std::string>(j, "layer_type", c.layer_type);
  c.downsample_in_first_stage = io::get_or<bool>(j, "downsample_in_first_stage", c.downsample_in_first_stage);
  c.downsample_in_bottleneck = io::get_or<bool>(j, "downsample_in_bottleneck", c.downsample_in_bottleneck);
  const std::string act = io::get_or<std::string>(j, "hidden_act", "relu");
  if (act != "relu") fail("config: backbone_config.hidden_act \"{}\" is not supported (only relu)", act);
  if (c.layer_type != "basic" && c.layer_type != "bottleneck")
    fail("config: backbone_config.layer_type \"{}\" is not basic or bottleneck", c.layer_type);
  if (c.depths.empty() || c.depths.size() != c.hidden_sizes.size())
    fail("config: backbone_config.depths and hidden_sizes must be non-empty and of equal length");
  for (size_t i = 0; i < c.depths.size(); ++i)
    if (c.depths[i] < 1 || c.hidden_sizes[i] < 1 || (c.layer_type == "bottleneck" && c.hidden_sizes[i] < 4))
      fail("config: backbone_config stage {} has depth {} and width {}", i, c.depths[i], c.hidden_sizes[i]);
  if (c.num_channels < 1 || c.embedding_size < 1) fail("config: backbone_config num_channels and embedding_size must be positive");
  const auto n = static_cast<int64_t>(c.depths.size());
  // out_indices wins over out_features (both name the same stages); default: the last stage.
  c.out_stage = n;
  if (j.contains("out_indices") && !j["out_indices"].is_null()) {
    auto idx = io::get_or<std::vector<int64_t>>(j, "out_indices", {});
    if (idx.empty()) fail("config: backbone_config.out_indices selects no stage");
    for (int64_t i : idx)
      if (i < 0 || i > n) fail("config: backbone_config.out_indices has {} (stages are 0..{})", i, n);
    c.out_stage = idx.back();
  } else if (j.contains("out_features") && !j["out_features"].is_null()) {
    auto names = io::get_or<std::vector<std::string>>(j, "out_features", {});
    if (names.empty()) fail("config: backbone_config.out_features selects no stage");
    c.out_stage = stage_index(names.back(), n);
  }
  return c;
}

std::map<int64_t, std::string> parse_labels(const nlohmann::json& j) {
  std::map<int64_t, std::string> out;
  auto it = j.find("id2label");
  if (it == j.end() || it->is_null()) {
    // PretrainedConfig's default: two labels.
    const int64_t n = io::get_or<int64_t>(j, "num_labels", 2);
    if (n < 1 || n > 100000) fail("config: num_labels {} is out of range", n);
    for (int64_t i = 0; i < n; ++i) out[i] = "LABEL_" + std::to_string(i);
    return out;
  }
  if (!it->is_object() || it->empty()) fail("config: id2label must be a non-empty object of id -> name");
  for (auto e = it->begin(); e != it->end(); ++e) {
    const std::string& k = e.key();
    if (k.empty() || k.size() > 9 || k.find_first_not_of("0123456789") != std::string::npos || !e->is_string())
      fail("config: id2label entry \"{}\": {} is not an integer id mapped to a name", k, e->dump());
    out[std::atoll(k.c_str())] = e->get<std::string>();
  }
  return out;
}

}  // namespace

std::string DetrConfig::label(int64_t id) const {
  auto it = id2label.find(id);
  return it != id2label.end() ? it->second : "LABEL_" + std::to_string(id);
}

DetrConfig parse_config(const nlohmann::json& j) {
  DetrConfig c;
  const std::string type = io::get_or<std::string>(j, "model_type", "detr");
  if (type != "detr") fail("config: model_type \"{}\" is not detr", type);
  if (io::get_or<bool>(j, "use_timm_backbone", false))
    fail("config: use_timm_backbone = true (timm's ResNet and its key names) is not supported; use a checkpoint "
         "with transformers' ResNet backbone (backbone_config), e.g. facebook/detr-resnet-50@no_timm");
  if (j.contains("backbone") && !j["backbone"].is_null())
    fail("config: a named backbone (\"backbone\": {}) is not supported; use backbone_config", j["backbone"].dump());
  if (io::get_or<bool>(j, "dilation", false))
    fail("config: dilation = true (a dilated last stage) is not supported");
  const std::string pos = io::get_or<std::string>(j, "position_embedding_type", "sine");
  if (pos != "sine") fail("config: position_embedding_type \"{}\" is not supported (only sine)", pos);
  c.backbone = parse_resnet(j.value("backbone_config", nlohmann::json::object()));
  c.d_model = io::get_or<int64_t>(j, "d_model", c.d_model);
  c.encoder_layers = io::get_or<int64_t>(j, "encoder_layers", c.encoder_layers);
  c.decoder_layers = io::get_or<int64_t>(j, "decoder_layers", c.decoder_layers);
  c.encoder_attention_heads = io::get_or<int64_t>(j, "encoder_attention_heads", c.encoder_attention_heads);
  c.decoder_attention_heads = io::get_or<int64_t>(j, "decoder_attention_heads", c.decoder_attention_heads);
  c.encoder_ffn_dim = io::get_or<int64_t>(j, "encoder_ffn_dim", c.encoder_ffn_dim);
  c.decoder_ffn_dim = io::get_or<int64_t>(j, "decoder_ffn_dim", c.decoder_ffn_dim);
  c.num_queries = io::get_or<int64_t>(j, "num_queries", c.num_queries);
  c.activation_function = io::get_or<std::string>(j, "activation_function", c.activation_function);
  nn::activation(c.activation_function);  // an unknown name is an error naming it
  // The sine embedding gives d_model/2 features per axis, interleaving sin and cos.
  if (c.d_model < 4 || c.d_model % 4 != 0) fail("config: d_model {} must be a positive multiple of 4", c.d_model);
  if (c.encoder_attention_heads < 1 || c.d_model % c.encoder_attention_heads != 0)
    fail("config: encoder_attention_heads {} does not divide d_model {}", c.encoder_attention_heads, c.d_model);
  if (c.decoder_attention_heads < 1 || c.d_model % c.decoder_attention_heads != 0)
    fail("config: decoder_attention_heads {} does not divide d_model {}", c.decoder_attention_heads, c.d_model);
  if (c.encoder_layers < 0 || c.decoder_layers < 1 || c.num_queries < 1 || c.encoder_ffn_dim < 1 || c.decoder_ffn_dim < 1)
    fail("config: encoder_layers, decoder_layers, num_queries and the ffn dims must be positive");
  c.id2label = parse_labels(j);
  return c;
}

}  // namespace argus::models::detr
