// Per-codec decoders behind decode_image(). Internal to src/image.
#pragma once
#include <cstddef>
#include <cstdint>

#include "image/image.h"

namespace argus::image::detail {

Image decode_jpeg(const uint8_t* data, size_t size, const DecodeLimits& limits);
Image decode_png(const uint8_t* data, size_t size, const DecodeLimits& limits);
Image decode_webp(const uint8_t* data, size_t size, const DecodeLimits& limits);

}  // namespace argus::image::detail
