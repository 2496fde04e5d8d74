// Loading LLaVA checkpoints in any of their key layouts through one rename table.
#pragma once
#include <string>

#include "models/llava/llava_model.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::llava {

// Maps a checkpoint key of any supported layout to the module's name:
//   llava-hf hub:      vision_tower.vision_model.X, multi_modal_projector.X,
//                      language_model.model.X, language_model.lm_head.X
//   transformers 5:    model.vision_tower[.vision_model].X, model.multi_modal_projector.X,
//                      model.language_model.X, lm_head.X
//   (and the same without vision_model., as the fixtures hold)
// Keys that match no rule pass through unchanged.
std::string llava_key_name(const std::string& key);

// Checks that the checkpoint's multi_modal_projector takes what the vision tower gives
// and outputs the decoder's width: a clear message before strict loading would report a
// bare shape mismatch (the usual cause is a projector from one model paired with a
// tower or decoder from another). LLaVA-NeXT's projector is LLaVA's, under the same keys.
void check_projector_widths(const io::Checkpoint& ck, const LlavaConfig& c);

// Builds from config.json, checks that the projector's widths agree with the tower
// and the decoder, loads the weights strictly and prepares for inference.
// `lm_dtype`: float32 (reference parity) or bfloat16 for the decoder's weights (half
// the memory); the vision tower and projector are always float32.
LlavaForConditionalGeneration load_llava(const io::Checkpoint& ck, at::ScalarType lm_dtype = at::kFloat);

}  // namespace argus::models::llava
