// Loading BLIP-2 checkpoints (transformers 4 and 5 layouts) strictly.
#pragma once
#include <ATen/ATen.h>

#include "models/blip2/blip2_model.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::blip2 {

// Builds from config.json (refusing variants argus does not run, by name), picks the
// vision attention's bias layout from the keys, loads every tensor strictly (a missing,
// unused or misshapen one is an error naming it) and prepares for inference.
// `lm_dtype`: float32 or bfloat16 for the OPT decoder's weights; the vision tower,
// Q-Former and projection stay float32.
Blip2ForConditionalGeneration load_blip2(const io::Checkpoint& ck, at::ScalarType lm_dtype = at::kFloat);

}  // namespace argus::models::blip2
