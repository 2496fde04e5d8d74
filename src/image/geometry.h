// Cropping and padding of 8-bit RGB images (no resampling).
#pragma once
#include <array>
#include <cstdint>

#include "image/image.h"

namespace argus::image {

using Rgb = std::array<uint8_t, 3>;

// The rectangle must lie inside the image.
Image crop(const Image& src, int left, int top, int width, int height);

// Adds borders of the given widths filled with `fill`.
Image pad(const Image& src, int top, int bottom, int left, int right, Rgb fill = {0, 0, 0});

// transformers' center_crop: top = (h - crop_h) // 2, left = (w - crop_w) // 2
// (floor division); an image smaller than the crop is first zero-padded, centred
// with the extra pixel on the top/left side, so the result is always crop_h x crop_w.
Image center_crop(const Image& src, int crop_height, int crop_width);

// LLaVA's expand2square: pad the short side to make a square, image centred
// (offset (long - short) // 2), border filled with `fill`.
Image expand_to_square(const Image& src, Rgb fill);

// LLaVA's background colour: tuple(int(x * 255) for x in image_mean).
Rgb mean_color(const std::array<double, 3>& mean);

}  // namespace argus::image
