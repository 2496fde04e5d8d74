// Loading LLaVA-NeXT checkpoints in either key layout through LLaVA's rename table.
#pragma once
#include <string>

#include "models/llava_next/llava_next_model.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::llava_next {

// LLaVA's renames (llava_key_name) plus transformers 5's model.image_newline; the
// llava-hf hub layout already writes image_newline at the top.
std::string llava_next_key_name(const std::string& key);

// Builds from config.json, checks the projector's widths, loads the weights strictly and
// prepares for inference. `lm_dtype`: float32 or bfloat16 for the decoder's weights; the
// vision tower, projector and image_newline stay float32.
LlavaNextForConditionalGeneration load_llava_next(const io::Checkpoint& ck, at::ScalarType lm_dtype = at::kFloat);

}  // namespace argus::models::llava_next
