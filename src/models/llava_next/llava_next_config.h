// LlavaNextConfig: LLaVA's vision tower, projector and decoder (parsed as LLaVA's are)
// plus the anyres grid pinpoints. What transformers' LlavaNext does not run the same
// way (another patch-merge type, a "full" strategy, pinpoints that are not whole tiles)
// is refused by name rather than run as a different model.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "models/llava/llava_config.h"
#include "models/llava_next/anyres.h"

namespace argus::models::llava_next {

struct LlavaNextConfig {
  llava::LlavaConfig llava;
  std::vector<Resolution> image_grid_pinpoints;  // [height, width] each, multiples of tile()

  int64_t tile() const { return llava.vision.image_size; }                        // pixels per tile side
  int64_t side() const { return llava.vision.image_size / llava.vision.patch_size; }  // features per tile side
  // How an image of this size is tiled and how many image tokens it becomes.
  AnyresLayout layout(Resolution image) const { return anyres_layout(image, image_grid_pinpoints, tile(), side()); }
};

// Parses a llava_next config.json; bad or unsupported values are argus::Error naming the key.
LlavaNextConfig parse_llava_next_config(const nlohmann::json& j);

// image_grid_pinpoints as a config or processor file writes it: [[h, w], ...].
std::vector<Resolution> parse_grid_pinpoints(const nlohmann::json& v, const char* where);

}  // namespace argus::models::llava_next
