// BLIP-2's image processor (transformers' BlipImageProcessor): a bicubic resize of the
// whole image to the square the ViT was trained at (no crop), CLIP's mean and std.
#pragma once
#include <string>

#include <ATen/ATen.h>

#include "image/image.h"
#include "image/processor_config.h"
#include "models/blip2/blip2_config.h"

namespace argus::models::blip2 {

// <dir>'s processor config, checked against the model: a processor that does not give
// the vision tower image_size x image_size pixels is refused by name.
image::ImageProcessorConfig load_blip2_processor(const std::string& dir, const Blip2Config& c);

// One image -> pixel_values [1, 3, image_size, image_size] (float32).
at::Tensor blip2_pixel_values(const image::Image& im, const image::ImageProcessorConfig& p);

}  // namespace argus::models::blip2
