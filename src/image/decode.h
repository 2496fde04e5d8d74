// Image decoding, matching what PIL's Image.open(...).convert("RGB") gives.
// Format is sniffed from the magic bytes, never from the file name.
// EXIF orientation is NOT applied: neither PIL's open nor transformers' image
// processors rotate, so the fixtures are made from the stored pixel order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "image/image.h"

namespace argus::image {

enum class ImageFormat { Unknown, Jpeg, Png, Webp };

ImageFormat sniff_format(const uint8_t* data, size_t size);
const char* format_name(ImageFormat f);

// Decodes a JPEG, PNG or (still) WebP held in memory to 8-bit RGB.
// Throws argus::Error on unknown formats, corrupt or truncated data, and sizes
// that are zero or over limits.max_pixels (checked before pixels are allocated).
Image decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits = {});

// Reads and decodes a file; errors name the path.
Image load_image(const std::string& path, const DecodeLimits& limits = {});

}  // namespace argus::image
