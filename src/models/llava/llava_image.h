// LLaVA's image preparation: the checkpoint's CLIP processor, optionally preceded by
// the original LLaVA code's "expand2square" (image_aspect_ratio = "pad"), which keeps
// the whole picture instead of centre-cropping it away.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "image/image.h"
#include "image/processor_config.h"

namespace argus::models::llava {

// The pad colour LLaVA uses: tuple(int(m * 255) for m in image_mean).
std::array<uint8_t, 3> mean_color(const image::ImageProcessorConfig& c);

// The image centred on a max(w, h) square of `color`, at ((side - w) / 2, (side - h) / 2)
// as PIL's paste puts it; a square image comes back unchanged.
image::Image expand_to_square(const image::Image& im, std::array<uint8_t, 3> color);

// Images -> pixel_values [N, 3, H, W] (float32) through `c`, padded to squares first
// when `pad_to_square`.
at::Tensor llava_pixel_values(const std::vector<image::Image>& images, const image::ImageProcessorConfig& c,
                              bool pad_to_square);

}  // namespace argus::models::llava
