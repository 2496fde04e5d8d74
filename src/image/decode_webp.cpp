// Still WebP via libwebp, decoded to RGB (alpha dropped, as PIL's convert("RGB") does,
// and kept in Image::alpha when the file has it). libwebp's default fancy upsampling is
// what Pillow gets too.
#include <webp/decode.h>

#include <vector>

#include "image/codecs.h"
#include "image/decode_budget.h"
#include "util/error.h"

namespace argus::image::detail {

namespace {

const char* status_text(VP8StatusCode s) {
  switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated data";
    default: return "unknown error";
  }
}

}  // namespace

Image decode_webp(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) fail("cannot initialise libwebp");
  VP8StatusCode st = WebPGetFeatures(data, size, &config.input);
  if (st != VP8_STATUS_OK) fail("corrupt WebP: {}", status_text(st));
  if (config.input.has_animation) fail("animated WebP is not supported");
  check_dimensions(config.input.width, config.input.height, limits, "WebP");
  // With alpha: the RGBA decode and the RGB + alpha it is split into.
  check_decode_budget(config.input.width, config.input.height, config.input.has_alpha ? 8 : 3, "WebP");

  Image out;
  out.width = config.input.width;
  out.height = config.input.height;
  const size_t n = static_cast<size_t>(out.width) * static_cast<size_t>(out.height);
  const bool alpha = config.input.has_alpha != 0;
  // With alpha, decode RGBA (straight, as PIL's "RGBA" mode) and split it.
  std::vector<uint8_t> rgba;
  (alpha ? rgba : out.pixels).resize(n * (alpha ? 4 : 3));
  config.output.colorspace = alpha ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = alpha ? rgba.data() : out.pixels.data();
  config.output.u.RGBA.stride = out.width * (alpha ? 4 : 3);
  config.output.u.RGBA.size = alpha ? rgba.size() : out.pixels.size();
  st = WebPDecode(data, size, &config);
  WebPFreeDecBuffer(&config.output);
  if (st != VP8_STATUS_OK) fail("corrupt WebP: {}", status_text(st));
  if (alpha) {
    out.pixels.resize(n * 3);
    out.alpha.resize(n);
    for (size_t i = 0; i < n; ++i) {
      for (int c = 0; c < 3; ++c) out.pixels[3 * i + c] = rgba[4 * i + c];
      out.alpha[i] = rgba[4 * i + 3];
    }
  }
  return out;
}

}  // namespace argus::image::detail
