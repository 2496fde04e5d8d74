// Resizing that reproduces Pillow's Image.resize on 8-bit images bit for bit:
// separable convolution (horizontal pass first, each pass skipped when its size is
// unchanged), the filter support widened by the downscale factor (antialiasing),
// coefficients normalised to 22-bit fixed point, results rounded and clamped to
// 0..255. Nearest follows PIL's affine nearest mapping.
#pragma once
#include <cstdint>
#include <vector>

#include "image/image.h"

namespace argus::image {

enum class Filter { Nearest, Bilinear, Bicubic, Lanczos, Box, Hamming };

// PIL's Image.Resampling codes as stored in preprocessor_config.json:
// 0 NEAREST, 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING.
Filter filter_from_pil(int code);
const char* filter_name(Filter f);

Image resize(const Image& src, int width, int height, Filter filter);
GrayImage resize(const GrayImage& src, int width, int height, Filter filter);

// Interleaved 8-bit pixels with `channels` bytes per pixel (1..4), row-major.
std::vector<uint8_t> resize_u8(const uint8_t* src, int width, int height, int channels, int out_width,
                               int out_height, Filter filter);

}  // namespace argus::image
