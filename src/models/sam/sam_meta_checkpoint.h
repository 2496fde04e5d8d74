// SAM checkpoints as Meta released them (sam_vit_b_01ec64.pth, sam_vit_l_0b3195.pth,
// sam_vit_h_4b8939.pth): a torch.save'd state dict in the segment_anything module
// layout, with no config. The config is read off the tensor shapes (widths, depths,
// window size, which blocks attend globally, head counts from the relative-position
// tables); the keys are renamed to the transformers layout the model mirrors, as
// transformers' conversion script does; loading is then as strict as for safetensors.
#pragma once
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "models/sam/sam_model.h"

namespace argus::models::sam {

// A file path ending in .pth or .pt.
bool is_torch_checkpoint_path(const std::string& path);

// segment_anything key -> transformers SamModel key ("" for tensors SamModel does not
// keep: pixel_mean / pixel_std).
std::string meta_to_hf_key(const std::string& key);

// The transformers-style config.json the Meta tensors imply. The one value the shapes
// cannot show, the mask decoder's head count, is SAM's 8 unless `overrides` (merged
// over the result as a JSON merge patch) says otherwise.
nlohmann::json meta_sam_config(const std::map<std::string, at::Tensor>& meta_tensors,
                               const nlohmann::json& overrides = nlohmann::json::object());

// Reads, renames and strictly loads a Meta .pth; ready for inference.
SamModel load_meta_sam_model(const std::string& pth_path, const nlohmann::json& overrides = nlohmann::json::object());

}  // namespace argus::models::sam
