// An open_clip model directory (open_clip_config.json beside the weights, as open_clip
// pushes to the hub) or OpenAI's layout: the weights as open_clip_model.safetensors, the
// pickled open_clip_pytorch_model.bin, or a TorchScript .pt archive (OpenAI's releases).
#pragma once
#include <string>

#include "models/open_clip/open_clip_model.h"

namespace argus::models::open_clip {

constexpr const char* kConfigFile = "open_clip_config.json";

// A directory with open_clip_config.json and no transformers config.json naming a model_type.
bool is_open_clip_dir(const std::string& dir);

// The weights file argus loads from `dir`: open_clip_model.safetensors, else
// open_clip_pytorch_model.bin, else the one *.pt; argus::Error when there is none.
std::string weights_file(const std::string& dir);

OpenClipConfig load_open_clip_config(const std::string& dir);

// Builds the model from the dir's config and loads `weights` (a path; empty = weights_file)
// strictly: every tensor used, none missing, shapes equal. BatchNorm's
// num_batches_tracked is the one tensor skipped.
OpenClipModel load_open_clip_model(const std::string& dir, const std::string& weights = "");

}  // namespace argus::models::open_clip
