// The image half of a Hugging Face processor config (preprocessor_config.json,
// or the "image_processor" object inside processor_config.json), with the class
// defaults transformers applies to keys a file leaves out.
#pragma once
#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "image/resample.h"

namespace argus::image {

enum class ProcessorKind {
  Generic,  // CLIP, SigLIP, ViT, BLIP, OWL-ViT: resize, optional centre crop, normalise
  Sam,      // longest edge, normalise, zero-pad bottom/right to pad_size
  Owlv2,    // float pipeline: pad to square, Gaussian antialias, bilinear
  Detr,     // shortest/longest edge rule
};

struct SizeSpec {
  int shortest_edge = 0, longest_edge = 0;  // 0 = absent
  int height = 0, width = 0;
};

struct ImageProcessorConfig {
  std::string type;  // image_processor_type, "Fast" suffix removed
  ProcessorKind kind = ProcessorKind::Generic;
  bool do_resize = true;
  SizeSpec size;
  int resample_code = 3;
  Filter resample = Filter::Bicubic;
  bool do_center_crop = false;
  int crop_height = 0, crop_width = 0;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<double, 3> image_mean{}, image_std{};
  bool do_pad = false;
  int pad_height = 0, pad_width = 0;  // SAM's pad_size
};

// Accepts either file's JSON. Unknown image_processor_type or malformed keys throw
// argus::Error naming the key.
ImageProcessorConfig parse_image_processor_config(const nlohmann::json& j);

// Reads <dir>/preprocessor_config.json, else <dir>/processor_config.json.
ImageProcessorConfig load_image_processor_config(const std::string& model_dir);

}  // namespace argus::image
