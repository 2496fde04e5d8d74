// LLaVA's image preparation: the checkpoint's CLIP processor, optionally preceded by
// the original LLaVA code's "expand2square" (image_aspect_ratio = "pad"), which keeps
// the whole picture instead of centre-cropping it away (image::expand_to_square
// with image::mean_color of the processor's mean).
#pragma once
#include <vector>

#include <ATen/ATen.h>

#include "image/image.h"
#include "image/processor_config.h"

namespace argus::models::llava {

// Images -> pixel_values [N, 3, H, W] (float32) through `c`, padded to squares first
// when `pad_to_square`.
at::Tensor llava_pixel_values(const std::vector<image::Image>& images, const image::ImageProcessorConfig& c,
                              bool pad_to_square);

}  // namespace argus::models::llava
