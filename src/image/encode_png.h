// PNG writers for results: RGB images, RGBA overlays and 8-bit masks.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "image/image.h"

namespace argus::image {

std::vector<uint8_t> encode_png(const Image& rgb);
std::vector<uint8_t> encode_png(const RgbaImage& rgba);
std::vector<uint8_t> encode_png(const GrayImage& gray);

// Write the PNG to `path` (replacing it); errors name the path.
void encode_png(const Image& rgb, const std::string& path);
void encode_png(const RgbaImage& rgba, const std::string& path);
void encode_png(const GrayImage& gray, const std::string& path);

}  // namespace argus::image
