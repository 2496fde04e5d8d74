#include "image/decode.h"

#include <cstring>
#include <exception>

#include "image/codecs.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace argus::image {

namespace {

bool starts_with(const uint8_t* data, size_t size, const char* magic, size_t n) {
  return size >= n && std::memcmp(data, magic, n) == 0;
}

// Formats PIL would open but argus does not decode: named in the error.
const char* other_format(const uint8_t* d, size_t n) {
  if (starts_with(d, n, "GIF87a", 6) || starts_with(d, n, "GIF89a", 6)) return "GIF";
  if (starts_with(d, n, "BM", 2)) return "BMP";
  if (starts_with(d, n, "II*\0", 4) || starts_with(d, n, "MM\0*", 4)) return "TIFF";
  if (n >= 12 && std::memcmp(d + 4, "ftyp", 4) == 0) return "HEIF/AVIF";
  return nullptr;
}

}  // namespace

ImageFormat sniff_format(const uint8_t* data, size_t size) {
  if (starts_with(data, size, "\xFF\xD8\xFF", 3)) return ImageFormat::Jpeg;
  if (starts_with(data, size, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::Png;
  if (size >= 12 && starts_with(data, size, "RIFF", 4) && std::memcmp(data + 8, "WEBP", 4) == 0)
    return ImageFormat::Webp;
  return ImageFormat::Unknown;
}

const char* format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Webp: return "WebP";
    default: return "unknown";
  }
}

Image decode_image(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  if (size == 0 || data == nullptr) fail("empty image data");
  switch (sniff_format(data, size)) {
    case ImageFormat::Jpeg: return detail::decode_jpeg(data, size, limits);
    case ImageFormat::Png: return detail::decode_png(data, size, limits);
    case ImageFormat::Webp: return detail::decode_webp(data, size, limits);
    default: break;
  }
  if (const char* other = other_format(data, size))
    fail("unsupported image format {} (argus reads JPEG, PNG and WebP)", other);
  fail("unknown image format (not JPEG, PNG or WebP)");
}

Image load_image(const std::string& path, const DecodeLimits& limits) {
  auto file = MappedFile::open(path);
  try {
    return decode_image(file->data(), file->size(), limits);
  } catch (const Error& e) {
    fail("{}: {}", path, e.what());
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while decoding", path);
  }
}

}  // namespace argus::image
