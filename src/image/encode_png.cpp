#include "image/encode_png.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <fstream>
#include <new>

#include "util/error.h"

namespace argus::image {

namespace {

struct Writer {
  std::vector<uint8_t>* out;
  char message[256];
};

void on_error(png_structp png, png_const_charp msg) {
  auto* w = static_cast<Writer*>(png_get_error_ptr(png));
  std::snprintf(w->message, sizeof w->message, "%s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_write(png_structp png, png_bytep data, size_t n) {
  auto* w = static_cast<Writer*>(png_get_io_ptr(png));
  try {
    w->out->insert(w->out->end(), data, data + n);
  } catch (const std::bad_alloc&) {
    png_error(png, "out of memory");
  }
}

void on_flush(png_structp) {}

// setjmp frame without C++ objects; returns false with w.message set on failure.
bool write_png(Writer& w, int width, int height, int color_type, int channels, const uint8_t* pixels) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, on_error, on_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, &w, on_write, on_flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, color_type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t stride = static_cast<size_t>(width) * static_cast<size_t>(channels);
  for (int y = 0; y < height; ++y)
    png_write_row(png, const_cast<png_bytep>(pixels + static_cast<size_t>(y) * stride));
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

std::vector<uint8_t> encode(int width, int height, int channels, const std::vector<uint8_t>& pixels) {
  if (width <= 0 || height <= 0) fail("cannot encode a PNG of size {}x{}", width, height);
  const size_t expected = static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(channels);
  if (pixels.size() != expected)
    fail("cannot encode a PNG: {}x{}x{} image holds {} bytes, expected {}", width, height, channels,
         pixels.size(), expected);
  const int color_type = channels == 1   ? PNG_COLOR_TYPE_GRAY
                         : channels == 3 ? PNG_COLOR_TYPE_RGB
                                         : PNG_COLOR_TYPE_RGB_ALPHA;
  std::vector<uint8_t> out;
  Writer w{&out, {}};
  w.message[0] = '\0';
  if (!write_png(w, width, height, color_type, channels, pixels.data()))
    fail("PNG encoding failed: {}", w.message[0] ? w.message : "cannot initialise libpng");
  return out;
}

void write_file(const std::vector<uint8_t>& bytes, const std::string& path) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) fail("cannot open {} for writing", path);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) fail("cannot write {}", path);
}

}  // namespace

std::vector<uint8_t> encode_png(const Image& rgb) { return encode(rgb.width, rgb.height, 3, rgb.pixels); }
std::vector<uint8_t> encode_png(const RgbaImage& rgba) { return encode(rgba.width, rgba.height, 4, rgba.pixels); }
std::vector<uint8_t> encode_png(const GrayImage& gray) { return encode(gray.width, gray.height, 1, gray.pixels); }

void encode_png(const Image& rgb, const std::string& path) { write_file(encode_png(rgb), path); }
void encode_png(const RgbaImage& rgba, const std::string& path) { write_file(encode_png(rgba), path); }
void encode_png(const GrayImage& gray, const std::string& path) { write_file(encode_png(gray), path); }

}  // namespace argus::image
