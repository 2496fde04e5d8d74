// LLaVA-NeXT's image processor (transformers' LlavaNextImageProcessor): the image
// resized into its best grid pinpoint keeping its aspect ratio, centred on black
// padding and cut into tiles, after a base view of the whole image squashed to one
// tile; each view then normalised as CLIP's processor does.
#pragma once
#include <string>

#include <ATen/ATen.h>

#include "image/image.h"
#include "image/processor_config.h"
#include "models/llava_next/llava_next_config.h"

namespace argus::models::llava_next {

// <dir>'s processor config, checked against the model's: its image_grid_pinpoints (if it
// lists them), size and crop_size must be the ones the model's features are laid out by,
// or the processor would cut the image into views the model reads differently.
image::ImageProcessorConfig load_llava_next_processor(const std::string& dir, const LlavaNextConfig& c);

// One image -> pixel_values [1 + tiles, 3, tile, tile] (float32): base view first, then
// the tiles row by row.
at::Tensor llava_next_pixel_values(const image::Image& im, const image::ImageProcessorConfig& p,
                                   const LlavaNextConfig& c);

}  // namespace argus::models::llava_next
