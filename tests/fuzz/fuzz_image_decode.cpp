// libFuzzer target: any byte string must decode or throw argus::Error, without
// crashing, reading out of bounds or leaking; what decodes is also resized so the
// resampler sees odd sizes. A small pixel limit keeps each input fast.
#include <cstddef>
#include <cstdint>

#include "image/decode.h"
#include "image/resample.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  argus::image::DecodeLimits limits;
  limits.max_pixels = int64_t{1} << 22;
  try {
    const argus::image::Image im = argus::image::decode_image(data, size, limits);
    if (im.width <= 0 || im.height <= 0 ||
        im.pixels.size() != static_cast<size_t>(im.width) * static_cast<size_t>(im.height) * 3)
      __builtin_trap();
    const uint8_t k = size ? data[size - 1] : 0;
    const auto filter = static_cast<argus::image::Filter>(k % 6);
    const int w = 1 + (k * 7) % 48, h = 1 + (k * 13) % 48;
    const auto out = argus::image::resize(im, w, h, filter);
    if (out.pixels.size() != static_cast<size_t>(w) * h * 3) __builtin_trap();
  } catch (const argus::Error&) {
  }
  return 0;
}
