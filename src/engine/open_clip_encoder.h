// The open_clip / OpenAI CLIP layout as a DualEncoder: open_clip_config.json's
// preprocess_cfg and clip._transform for images, clip.tokenize for text (the repo's own
// tokenizer files when it ships them, else argus's built-in CLIP vocabulary).
#pragma once
#include <memory>
#include <string>

#include "engine/dual_encoder.h"
#include "models/open_clip/open_clip_load.h"

namespace argus::engine {

std::unique_ptr<DualEncoder> open_open_clip(const std::string& dir);

}  // namespace argus::engine
