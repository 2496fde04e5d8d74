// DetrConfig as transformers writes it (config.json), with its defaults, and the
// nested ResNet backbone_config (transformers' own ResNetBackbone, not timm's).
// What the implementation does not cover is refused here, once, by the key's name.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace argus::models::detr {

struct ResNetConfig {
  int64_t num_channels = 3;
  int64_t embedding_size = 64;
  std::vector<int64_t> hidden_sizes{256, 512, 1024, 2048};
  std::vector<int64_t> depths{3, 4, 6, 3};
  std::string layer_type = "bottleneck";  // or "basic"
  bool downsample_in_first_stage = false;
  bool downsample_in_bottleneck = false;  // stride on the bottleneck's first 1x1 instead of its 3x3
  // The last stage the detector reads (stage_names index: 0 = stem, k = stage k); DETR
  // uses only the last feature map the backbone returns.
  int64_t out_stage = 4;

  int64_t out_channels() const { return out_stage == 0 ? embedding_size : hidden_sizes[out_stage - 1]; }
};

struct DetrConfig {
  ResNetConfig backbone;
  int64_t d_model = 256;
  int64_t encoder_layers = 6, decoder_layers = 6;
  int64_t encoder_attention_heads = 8, decoder_attention_heads = 8;
  int64_t encoder_ffn_dim = 2048, decoder_ffn_dim = 2048;
  int64_t num_queries = 100;
  std::string activation_function = "relu";
  std::map<int64_t, std::string> id2label;  // class id -> name; num_labels = its size, as transformers counts
  int64_t num_labels() const { return static_cast<int64_t>(id2label.size()); }
  // id2label's name, or transformers' "LABEL_<id>" for an id it leaves out.
  std::string label(int64_t id) const;
};

// Throws argus::Error on a timm or named backbone, dilation, learned position
// embeddings, an unknown activation and inconsistent sizes.
DetrConfig parse_config(const nlohmann::json& j);

}  // namespace argus::models::detr
