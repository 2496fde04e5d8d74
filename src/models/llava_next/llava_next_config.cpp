#include "models/llava_next/llava_next_config.h"

#include "io/json_file.h"
#include "util/error.h"

namespace argus::models::llava_next {

using io::get_or;

namespace {

// transformers' LlavaNextConfig default, used when the key is absent.
std::vector<Resolution> default_pinpoints() { return {{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}}; }

}  // namespace

std::vector<Resolution> parse_grid_pinpoints(const nlohmann::json& v, const char* where) {
  if (!v.is_array() || v.empty())
    fail("{}: image_grid_pinpoints must be a non-empty list of [height, width], got {}", where, v.dump());
  std::vector<Resolution> out;
  for (const auto& p : v) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number_integer() ||
        p[0].get<int64_t>() <= 0 || p[1].get<int64_t>() <= 0 || p[0].get<int64_t>() > 65536 ||
        p[1].get<int64_t>() > 65536)
      fail("{}: image_grid_pinpoints entry {} is not [height, width] in positive pixels", where, p.dump());
    out.push_back({p[0].get<int64_t>(), p[1].get<int64_t>()});
  }
  return out;
}

LlavaNextConfig parse_llava_next_config(const nlohmann::json& j) {
  if (!j.is_object()) fail("llava_next config: expected a JSON object");
  // Keys of LLaVA's parser that mean something else, or nothing, here.
  if (j.contains("mm_projector_type") && get_or<std::string>(j, "mm_projector_type", "") != "mlp2x_gelu")
    fail("llava_next config: mm_projector_type {} is not supported (LLaVA-NeXT's projector is mlp2x_gelu)",
         j["mm_projector_type"].dump());
  if (j.contains("image_aspect_ratio") && get_or<std::string>(j, "image_aspect_ratio", "") != "anyres")
    fail("llava_next config: image_aspect_ratio {} is not supported (LLaVA-NeXT tiles images: \"anyres\")",
         j["image_aspect_ratio"].dump());
  if (j.contains("mm_patch_merge_type") && get_or<std::string>(j, "mm_patch_merge_type", "") != "spatial_unpad")
    fail("llava_next config: mm_patch_merge_type {} is not supported (argus, like transformers, runs "
         "\"spatial_unpad\")",
         j["mm_patch_merge_type"].dump());
  if (j.contains("use_image_newline_parameter") && !get_or<bool>(j, "use_image_newline_parameter", true))
    fail("llava_next config: use_image_newline_parameter false is not supported (transformers always appends "
         "image_newline)");
  // "full" keeps CLS: each tile gives side*side + 1 features, which cannot be laid out as
  // the tile's side x side grid (transformers' view() fails on it too), so no reference exists.
  std::string strategy = get_or<std::string>(j, "vision_feature_select_strategy", "default");
  if (strategy != "default")
    fail("llava_next config: vision_feature_select_strategy \"{}\" is not supported (only \"default\": the tiles' "
         "features must form a patch grid, which CLS breaks)",
         strategy);

  LlavaNextConfig c;
  c.llava = llava::parse_llava_config(j, "llava_next");
  c.llava.projector_type = "mlp2x_gelu";
  const int64_t tile = c.tile();
  if (tile % c.llava.vision.patch_size != 0)
    fail("llava_next config: vision_config.image_size {} is not a multiple of patch_size {}", tile,
         c.llava.vision.patch_size);
  c.image_grid_pinpoints = j.contains("image_grid_pinpoints") && !j["image_grid_pinpoints"].is_null()
                               ? parse_grid_pinpoints(j["image_grid_pinpoints"], "llava_next config")
                               : default_pinpoints();
  for (const Resolution& p : c.image_grid_pinpoints)
    if (p.height % tile != 0 || p.width % tile != 0)
      fail("llava_next config: image_grid_pinpoints entry [{}, {}] is not a whole number of {}-pixel tiles",
           p.height, p.width, tile);
  // image_seq_length is the base view's feature count; another value is another model.
  if (j.contains("image_seq_length") && !j["image_seq_length"].is_null()) {
    const int64_t want = c.side() * c.side();
    if (!j["image_seq_length"].is_number_integer() || j["image_seq_length"].get<int64_t>() != want)
      fail("llava_next config: image_seq_length {} does not match the vision tower's {} features per view",
           j["image_seq_length"].dump(), want);
  }
  return c;
}

}  // namespace argus::models::llava_next
