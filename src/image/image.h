// Decoded 8-bit images. Everything downstream of the codecs works on these plain
// buffers so the image layer stays free of LibTorch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace argus::image {

// RGB, row-major HWC, 3 bytes per pixel: what PIL's convert("RGB") gives (alpha dropped,
// no compositing). `alpha` keeps the source's alpha channel, one byte per pixel, when it
// had one (PNG RGBA / gray+alpha, WebP with alpha), else it is empty: open_clip resizes
// the RGBA image and converts to RGB only after (see clip_transform.h); every other
// processor converts first and ignores it.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> alpha;
};

// RGBA, row-major HWC, straight (not premultiplied) alpha: overlays.
struct RgbaImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

// One byte per pixel: masks.
struct GrayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

struct DecodeLimits {
  // PIL refuses images over 2 * Image.MAX_IMAGE_PIXELS (its "decompression bomb" error).
  int64_t max_pixels = 178956970;
};

// Refuses zero, negative or over-limit dimensions with one error line naming `what`.
// Called on header dimensions before any pixel memory is allocated.
void check_dimensions(int64_t width, int64_t height, const DecodeLimits& limits, const char* what);

// An image of the given size with every byte zero; validates the size first.
Image make_image(int width, int height);

// A content hash of the size and pixels (FNV-1a, hex): the key of the feature caches.
std::string content_key(const Image& img);

}  // namespace argus::image
