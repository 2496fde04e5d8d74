#include "image/image.h"

#include "util/error.h"
#include "util/hash.h"

namespace argus::image {

void check_dimensions(int64_t width, int64_t height, const DecodeLimits& limits, const char* what) {
  if (width <= 0 || height <= 0) fail("{}: invalid image size {}x{}", what, width, height);
  // Both factors fit in 32 bits for every codec we read, so the product cannot overflow.
  if (width > INT32_MAX || height > INT32_MAX || width * height > limits.max_pixels)
    fail("{}: image of {}x{} pixels exceeds the limit of {} pixels", what, width, height,
         limits.max_pixels);
}

Image make_image(int width, int height) {
  if (width <= 0 || height <= 0) fail("invalid image size {}x{}", width, height);
  Image im;
  im.width = width;
  im.height = height;
  im.pixels.assign(static_cast<size_t>(width) * static_cast<size_t>(height) * 3, 0);
  return im;
}

std::string content_key(const Image& img) {
  Fnv1a h;
  const int32_t size[2] = {img.width, img.height};
  h.add(size, sizeof(size));
  h.add(img.pixels.data(), img.pixels.size());
  // Only when present, so alpha-free images keep their keys.
  if (!img.alpha.empty()) h.add(img.alpha.data(), img.alpha.size());
  return h.hex();
}

}  // namespace argus::image
