#include "models/open_clip/open_clip_config.h"

#include <algorithm>
#include <map>

#include "io/json_file.h"
#include "util/error.h"

namespace argus::models::open_clip {

namespace {

using io::get_or;

// Keys open_clip knows that do not change the eval graph of these towers when they hold
// the value below (or null): anything else would need a tower argus does not have.
using Neutral = std::map<std::string, nlohmann::json>;

void check_keys(const nlohmann::json& j, const std::vector<std::string>& read, const Neutral& neutral,
                const std::string& where, const std::string& what) {
  if (!j.is_object()) fail("{}: {} is not an object", what, where);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(read.begin(), read.end(), it.key()) != read.end()) continue;
    auto n = neutral.find(it.key());
    if (n == neutral.end())
      fail("{}: {}.{} is not supported (argus implements OpenAI's ResNet/ViT towers and text transformer)", what,
           where, it.key());
    if (!it->is_null() && *it != n->second)
      fail("{}: {}.{} = {} asks for a tower argus does not implement", what, where, it.key(), it->dump());
  }
}

VisionConfig parse_vision(const nlohmann::json& j, const std::string& what) {
  // patch_dropout acts only in training and output_tokens only adds outputs: read, unused.
  check_keys(j, {"image_size", "layers", "width", "head_width", "patch_size", "mlp_ratio", "patch_dropout", "output_tokens"},
             {{"timm_model_name", nullptr}, {"timm_model_pretrained", false}, {"timm_pool", nullptr},
              {"timm_proj", nullptr}, {"timm_proj_bias", false}, {"timm_drop", 0.0}, {"timm_drop_path", nullptr},
              {"ls_init_value", nullptr}, {"attentional_pool", false},
              {"input_patchnorm", false}, {"global_average_pool", false}, {"no_ln_pre", false},
              {"final_ln_after_pool", false}, {"pool_type", "tok"}, {"pos_embed_type", "learnable"},
              {"act_kwargs", nullptr}, {"norm_kwargs", nullptr}},
             "model_cfg.vision_cfg", what);
  VisionConfig c;
  auto layers = j.find("layers");
  if (layers != j.end() && layers->is_array()) {
    c.resnet = true;
    if (layers->size() != 4) fail("{}: vision_cfg.layers must list 4 ResNet stages, not {}", what, layers->size());
    for (const auto& n : *layers) {
      if (!n.is_number_integer() || n.get<int64_t>() < 1) fail("{}: vision_cfg.layers {} is not 4 counts", what, layers->dump());
      c.res_layers.push_back(n.get<int64_t>());
    }
    c.width = 64;
  } else {
    c.layers = get_or<int64_t>(j, "layers", c.layers);
  }
  c.width = get_or<int64_t>(j, "width", c.width);
  c.head_width = get_or<int64_t>(j, "head_width", c.head_width);
  c.image_size = get_or<int64_t>(j, "image_size", c.image_size);
  c.patch_size = get_or<int64_t>(j, "patch_size", c.patch_size);
  c.mlp_ratio = get_or<double>(j, "mlp_ratio", c.mlp_ratio);
  const int64_t channels = c.resnet ? c.width * 32 : c.width;
  if (c.width <= 0 || c.head_width <= 0 || channels % c.head_width != 0)
    fail("{}: vision_cfg.width {} is not a positive multiple of head_width {}", what, c.width, c.head_width);
  if (c.resnet && (c.width % 2 != 0 || c.image_size < 32 || c.image_size % 32 != 0))
    fail("{}: a ResNet tower needs an even width and an image_size that is a multiple of 32 (got {}, {})", what,
         c.width, c.image_size);
  if (!c.resnet && (c.layers < 0 || c.patch_size <= 0 || c.image_size < c.patch_size))
    fail("{}: vision_cfg image_size {} / patch_size {} make no patches", what, c.image_size, c.patch_size);
  return c;
}

TextConfig parse_text(const nlohmann::json& j, const std::string& what) {
  // output_tokens only adds outputs; hf_model_pretrained matters only with hf_model_name.
  check_keys(j, {"context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio", "output_tokens", "hf_model_pretrained"},
             {{"hf_model_name", nullptr}, {"hf_tokenizer_name", nullptr},
              {"hf_proj_type", nullptr}, {"hf_pooler_type", nullptr}, {"proj", nullptr}, {"ls_init_value", nullptr},
              {"pool_type", "argmax"}, {"proj_bias", false}, {"embed_cls", false}, {"pad_id", 0},
              {"no_causal_mask", false}, {"tokenizer_kwargs", nullptr},
              {"act_kwargs", nullptr}, {"norm_kwargs", nullptr}},
             "model_cfg.text_cfg", what);
  TextConfig c;
  c.context_length = get_or<int64_t>(j, "context_length", c.context_length);
  c.vocab_size = get_or<int64_t>(j, "vocab_size", c.vocab_size);
  c.width = get_or<int64_t>(j, "width", c.width);
  c.heads = get_or<int64_t>(j, "heads", c.heads);
  c.layers = get_or<int64_t>(j, "layers", c.layers);
  c.mlp_ratio = get_or<double>(j, "mlp_ratio", c.mlp_ratio);
  if (c.width <= 0 || c.heads <= 0 || c.width % c.heads != 0 || c.layers < 0 || c.context_length < 2 ||
      c.vocab_size < 1)
    fail("{}: text_cfg width {} / heads {} / context_length {} do not make a text tower", what, c.width, c.heads,
         c.context_length);
  return c;
}

std::array<double, 3> triple(const nlohmann::json& j, const char* key, std::array<double, 3> def,
                             const std::string& what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_array() || it->size() != 3) fail("{}: preprocess_cfg.{} must be 3 numbers", what, key);
  for (size_t i = 0; i < 3; ++i) {
    if (!(*it)[i].is_number()) fail("{}: preprocess_cfg.{} must be 3 numbers", what, key);
    def[i] = (*it)[i].get<double>();
  }
  return def;
}

PreprocessConfig parse_preprocess(const nlohmann::json& j, const std::string& what) {
  // open_clip's eval transforms with bicubic interpolation: "shortest" (clip._transform,
  // shortest-side resize and centre crop) and "squash" (a resize to the square, no crop).
  // fill_color only pads, which neither does.
  check_keys(j, {"mean", "std", "size", "resize_mode"}, {{"interpolation", "bicubic"}, {"fill_color", 0}},
             "preprocess_cfg", what);
  PreprocessConfig c;
  if (auto it = j.find("resize_mode"); it != j.end() && !it->is_null()) {
    if (*it != "shortest" && *it != "squash")
      fail("{}: preprocess_cfg.resize_mode {} is not supported (argus has \"shortest\" and \"squash\")", what,
           it->dump());
    c.squash = *it == "squash";
  }
  // open_clip writes the size as an int or [h, w]; the transform makes square crops.
  if (auto it = j.find("size"); it != j.end() && !it->is_null()) {
    const bool square = it->is_array() && it->size() == 2 && (*it)[0] == (*it)[1];
    const nlohmann::json& v = square ? (*it)[0] : *it;
    if (!v.is_number_integer() || v.get<int64_t>() <= 0)
      fail("{}: preprocess_cfg.size {} is not a positive int or a square [h, w]", what, it->dump());
    c.size = v.get<int64_t>();
  }
  c.mean = triple(j, "mean", c.mean, what);
  c.std = triple(j, "std", c.std, what);
  for (double s : c.std)
    if (!(s > 0)) fail("{}: preprocess_cfg.std must be positive", what);
  return c;
}

}  // namespace

OpenClipConfig parse_open_clip_config(const nlohmann::json& j, const std::string& what) {
  if (!j.is_object() || !j.contains("model_cfg")) fail("{}: no model_cfg object", what);
  const auto& m = j["model_cfg"];
  // cast_dtype (training precision) and init_logit_scale (overwritten by the checkpoint's
  // logit_scale) do not affect inference; custom_text would move the text tower under `text.`.
  check_keys(m, {"embed_dim", "quick_gelu", "vision_cfg", "text_cfg", "cast_dtype", "init_logit_scale"},
             {{"custom_text", false}, {"init_logit_bias", nullptr}, {"multimodal_cfg", nullptr}},
             "model_cfg", what);
  OpenClipConfig c;
  c.embed_dim = get_or<int64_t>(m, "embed_dim", c.embed_dim);
  c.quick_gelu = get_or<bool>(m, "quick_gelu", c.quick_gelu);
  if (c.embed_dim <= 0) fail("{}: model_cfg.embed_dim {} is not positive", what, c.embed_dim);
  c.vision = parse_vision(m.value("vision_cfg", nlohmann::json::object()), what);
  c.text = parse_text(m.value("text_cfg", nlohmann::json::object()), what);
  c.preprocess = parse_preprocess(j.value("preprocess_cfg", nlohmann::json::object()), what);
  if (c.preprocess.size == 0) c.preprocess.size = c.vision.image_size;
  return c;
}

nlohmann::json to_json(const OpenClipConfig& c) {
  nlohmann::json vision = {{"image_size", c.vision.image_size}, {"width", c.vision.width}, {"head_width", c.vision.head_width}};
  if (c.vision.resnet) {
    vision["layers"] = c.vision.res_layers;
  } else {
    vision["layers"] = c.vision.layers;
    vision["patch_size"] = c.vision.patch_size;
    vision["mlp_ratio"] = c.vision.mlp_ratio;
  }
  const auto& t = c.text;
  return {{"model_cfg",
           {{"embed_dim", c.embed_dim},
            {"quick_gelu", c.quick_gelu},
            {"vision_cfg", vision},
            {"text_cfg", {{"context_length", t.context_length}, {"vocab_size", t.vocab_size}, {"width", t.width},
                          {"heads", t.heads}, {"layers", t.layers}, {"mlp_ratio", t.mlp_ratio}}}}},
          {"preprocess_cfg",
           {{"size", c.preprocess.size}, {"mean", c.preprocess.mean}, {"std", c.preprocess.std},
            {"interpolation", "bicubic"}, {"resize_mode", c.preprocess.squash ? "squash" : "shortest"}}}};
}

}  // namespace argus::models::open_clip
