#include "models/sam/sam_meta_checkpoint.h"

#include <regex>

#include "models/sam/sam_config.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "nn/torch_state_dict.h"
#include "util/error.h"
#include "util/strings.h"

namespace argus::models::sam {

namespace {

using Tensors = std::map<std::string, at::Tensor>;

const at::Tensor& need(const Tensors& t, const std::string& key) {
  auto it = t.find(key);
  if (it == t.end()) fail("not a SAM checkpoint in Meta's layout: it has no \"{}\"", key);
  return it->second;
}

// Number of consecutive "<prefix>N<suffix>" keys from N = 0.
int64_t count_indexed(const Tensors& t, const std::string& prefix, const std::string& suffix) {
  int64_t n = 0;
  while (t.count(prefix + std::to_string(n) + suffix)) ++n;
  return n;
}

}  // namespace

bool is_torch_checkpoint_path(const std::string& path) { return ends_with(path, ".pth") || ends_with(path, ".pt"); }

std::string meta_to_hf_key(const std::string& key) {
  if (key == "pixel_mean" || key == "pixel_std") return "";
  if (key == "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix")
    return "shared_image_embedding.positional_embedding";
  // Substring substitutions, in order, each at most once (transformers' conversion table).
  static const std::vector<std::pair<std::string, std::string>> kSubs = {
      {"mask_decoder.output_upscaling.0", "mask_decoder.upscale_conv1"},
      {"mask_decoder.output_upscaling.1", "mask_decoder.upscale_layer_norm"},
      {"mask_decoder.output_upscaling.3", "mask_decoder.upscale_conv2"},
      {"mask_downscaling.0", "mask_embed.conv1"},
      {"mask_downscaling.1", "mask_embed.layer_norm1"},
      {"mask_downscaling.3", "mask_embed.conv2"},
      {"mask_downscaling.4", "mask_embed.layer_norm2"},
      {"mask_downscaling.6", "mask_embed.conv3"},
      {"point_embeddings", "point_embed"},
      {"image_encoder", "vision_encoder"},
      {"neck.0", "neck.conv1"},
      {"neck.1", "neck.layer_norm1"},
      {"neck.2", "neck.conv2"},
      {"neck.3", "neck.layer_norm2"},
      {"patch_embed.proj", "patch_embed.projection"},
      {".norm", ".layer_norm"},
      {"blocks", "layers"},
  };
  std::string k = key;
  for (const auto& [from, to] : kSubs)
    if (auto pos = k.find(from); pos != std::string::npos) k.replace(pos, from.size(), to);
  // The 3-layer MLP heads (IoU head, hypernetworks) are proj_in, layers.0, proj_out there.
  static const std::regex kMlpHead(R"(^(mask_decoder\.(?:iou_prediction_head|output_hypernetworks_mlps\.\d+))\.layers\.(\d+)\.(.*)$)");
  std::smatch m;
  if (std::regex_match(k, m, kMlpHead)) {
    const int i = std::stoi(m[2]);
    const std::string name = i == 0 ? "proj_in" : i == 2 ? "proj_out" : "layers." + std::to_string(i - 1);
    k = m[1].str() + "." + name + "." + m[3].str();
  }
  return k;
}

nlohmann::json meta_sam_config(const Tensors& t, const nlohmann::json& overrides) {
  const at::Tensor& proj = need(t, "image_encoder.patch_embed.proj.weight");  // [hidden, 3, p, p]
  const int64_t hidden = proj.size(0), patch = proj.size(2);
  const at::Tensor& pos = need(t, "image_encoder.pos_embed");  // [1, g, g, hidden]
  const int64_t grid = pos.size(1);
  const int64_t layers = count_indexed(t, "image_encoder.blocks.", ".norm1.weight");
  if (layers == 0) fail("not a SAM checkpoint in Meta's layout: no image_encoder.blocks");
  // Relative-position tables are [2 * window - 1, head_dim]; global blocks span the grid.
  std::vector<int64_t> global;
  int64_t window = 14, head_dim = 0;
  for (int64_t i = 0; i < layers; ++i) {
    const at::Tensor& rel = need(t, "image_encoder.blocks." + std::to_string(i) + ".attn.rel_pos_h");
    head_dim = rel.size(1);
    if (rel.size(0) == 2 * grid - 1)
      global.push_back(i);
    else
      window = (rel.size(0) + 1) / 2;
  }
  if (head_dim <= 0 || hidden % head_dim != 0)
    fail("SAM checkpoint: relative-position width {} does not divide the width {}", head_dim, hidden);
  const at::Tensor& gauss = need(t, "prompt_encoder.pe_layer.positional_encoding_gaussian_matrix");  // [2, F]
  const int64_t prompt_hidden = need(t, "prompt_encoder.point_embeddings.0.weight").size(1);
  const int64_t dec_hidden = need(t, "mask_decoder.iou_token.weight").size(1);
  const int64_t cross_width = need(t, "mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight").size(0);

  nlohmann::json vision = {
      {"hidden_size", hidden},
      {"num_hidden_layers", layers},
      {"num_attention_heads", hidden / head_dim},
      {"mlp_dim", need(t, "image_encoder.blocks.0.mlp.lin1.weight").size(0)},
      {"output_channels", need(t, "image_encoder.neck.0.weight").size(0)},
      {"image_size", grid * patch},
      {"patch_size", patch},
      {"window_size", window},
      {"global_attn_indexes", global},
      {"num_pos_feats", gauss.size(1)},
      {"qkv_bias", t.count("image_encoder.blocks.0.attn.qkv.bias") > 0},
  };
  nlohmann::json prompt = {
      {"hidden_size", prompt_hidden},
      {"image_size", grid * patch},
      {"patch_size", patch},
      {"image_embedding_size", grid},
      {"mask_input_channels", need(t, "prompt_encoder.mask_downscaling.3.weight").size(0)},
      {"num_point_embeddings", count_indexed(t, "prompt_encoder.point_embeddings.", ".weight")},
  };
  nlohmann::json decoder = {
      {"hidden_size", dec_hidden},
      {"num_hidden_layers", count_indexed(t, "mask_decoder.transformer.layers.", ".norm1.weight")},
      {"num_attention_heads", 8},
      {"mlp_dim", need(t, "mask_decoder.transformer.layers.0.mlp.lin1.weight").size(0)},
      {"attention_downsample_rate", cross_width > 0 ? dec_hidden / cross_width : 0},
      {"num_multimask_outputs", need(t, "mask_decoder.mask_tokens.weight").size(0) - 1},
      {"iou_head_depth", count_indexed(t, "mask_decoder.iou_prediction_head.layers.", ".weight")},
      {"iou_head_hidden_dim", need(t, "mask_decoder.iou_prediction_head.layers.0.weight").size(0)},
  };
  nlohmann::json config = {{"model_type", "sam"},
                           {"architectures", {"SamModel"}},
                           {"vision_config", vision},
                           {"prompt_encoder_config", prompt},
                           {"mask_decoder_config", decoder}};
  config.merge_patch(overrides);
  return config;
}

SamModel load_meta_sam_model(const std::string& pth_path, const nlohmann::json& overrides) {
  Tensors meta = nn::read_torch_state_dict(pth_path);
  SamConfig cfg;
  try {
    cfg = parse_config(meta_sam_config(meta, overrides));
  } catch (const Error& e) {
    fail("{}: {}", pth_path, e.what());
  }
  Tensors renamed;
  for (auto& [key, tensor] : meta) {
    std::string k = meta_to_hf_key(key);
    if (k.empty()) continue;
    if (!renamed.emplace(k, tensor).second) fail("{}: two tensors rename to \"{}\"", pth_path, k);
  }
  SamModel m(cfg);
  try {
    nn::load_weights(*m, renamed);
  } catch (const Error& e) {
    fail("{}: {}", pth_path, e.what());
  }
  m->eval();
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::sam
