// PNG via libpng, converted to RGB the way PIL opens the file and then runs
// convert("RGB"):
//   gray 1/2/4 bit -> scaled to 0..255 (PIL's "1", "L;2", "L;4" unpackers);
//   gray 16 bit    -> PIL mode "I", whose RGB conversion clips at 255 (not >> 8);
//   RGB/RGBA/LA 16 -> the high byte of each sample ("RGB;16B", "LA;16B", ...);
//   palette        -> PLTE lookup, indices past the PLTE giving grey (i,i,i) as
//                     Pillow 9.4's ramp-initialised palette does;
//   alpha          -> dropped from the RGB, no compositing, and kept beside it
//                     (Image::alpha, high byte at 16 bits) for open_clip's transform;
//   tRNS           -> ignored: PIL opens those as RGB, L or P, not as an alpha mode;
//   gamma/ICC chunks ignored.
// libpng reports fatal errors through a callback that must not return: we longjmp
// back to decode_into(), which holds no C++ objects with destructors.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

#include "image/codecs.h"
#include "image/decode_budget.h"
#include "util/error.h"

namespace argus::image::detail {

namespace {

struct Reader {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char message[256];
};

void on_error(png_structp png, png_const_charp msg) {
  auto* r = static_cast<Reader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof r->message, "corrupt PNG: %s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, size_t n) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (n > r->size - r->pos) {
    std::snprintf(r->message, sizeof r->message, "truncated PNG data");
    png_longjmp(png, 1);
  }
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

struct Job {
  Reader reader;
  const DecodeLimits* limits;
  Image* out;
  std::vector<uint8_t>* raw;  // unconverted rows: one row, or all of them if interlaced
  std::vector<png_bytep>* rows;
  bool bad_size = false;
  int64_t bad_width = 0, bad_height = 0;
  int bad_bpp = 3;
  char error[256];
};

bool has_alpha(int color_type) {
  return color_type == PNG_COLOR_TYPE_GRAY_ALPHA || color_type == PNG_COLOR_TYPE_RGB_ALPHA;
}

// The alpha samples of one row of a GRAY_ALPHA or RGB_ALPHA image (high byte at 16 bits).
void alpha_row(const uint8_t* src, uint8_t* dst, size_t w, int color_type, int depth) {
  const size_t bytes = depth == 16 ? 2 : 1;
  const size_t channels = color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 4;
  for (size_t x = 0; x < w; ++x) dst[x] = src[(channels * x + channels - 1) * bytes];
}

// Converts one row of libpng output (after png_set_packing) to RGB.
void convert_row(const uint8_t* src, uint8_t* dst, size_t w, int color_type, int depth,
                 const uint8_t (*palette)[3]) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
      if (depth == 16) {
        for (size_t x = 0; x < w; ++x) {
          const unsigned v = (unsigned(src[2 * x]) << 8) | src[2 * x + 1];
          dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = static_cast<uint8_t>(v > 255 ? 255 : v);
        }
      } else {
        const unsigned scale = 255u / ((1u << depth) - 1u);  // 255, 85, 17, 1
        for (size_t x = 0; x < w; ++x)
          dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = static_cast<uint8_t>(src[x] * scale);
      }
      break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: {
      const size_t step = depth == 16 ? 4 : 2;
      for (size_t x = 0; x < w; ++x) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[step * x];
      break;
    }
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_RGB_ALPHA: {
      const size_t bytes = depth == 16 ? 2 : 1;
      const size_t step = (color_type == PNG_COLOR_TYPE_RGB ? 3 : 4) * bytes;
      for (size_t x = 0; x < w; ++x)
        for (size_t c = 0; c < 3; ++c) dst[3 * x + c] = src[step * x + c * bytes];
      break;
    }
    case PNG_COLOR_TYPE_PALETTE:
      for (size_t x = 0; x < w; ++x) std::memcpy(dst + 3 * x, palette[src[x]], 3);
      break;
  }
}

bool decode_into(Job& job) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job.reader, on_error, on_warning);
  if (!png) {
    std::snprintf(job.error, sizeof job.error, "cannot initialise libpng");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(job.error, sizeof job.error, "cannot initialise libpng");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    std::snprintf(job.error, sizeof job.error, "%s", job.reader.message);
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, &job.reader, on_read);
  // Our own pixel limit decides, with a clearer message than libpng's 1e6 x 1e6 default.
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_read_info(png, info);

  png_uint_32 w32 = 0, h32 = 0;
  int depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(png, info, &w32, &h32, &depth, &color_type, &interlace, nullptr, nullptr);
  const int64_t w = w32, h = h32;
  // RGB, the alpha plane where there is one, and (interlaced) libpng's full-size rows.
  const int bpp = 3 + (has_alpha(color_type) ? 1 : 0) + (interlace != PNG_INTERLACE_NONE ? 8 : 0);
  if (w <= 0 || h <= 0 || w * h > job.limits->max_pixels || !within_decode_budget(w, h, bpp)) {
    job.bad_size = true;
    job.bad_bpp = bpp;
    job.bad_width = w;
    job.bad_height = h;
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }

  // Palette as Pillow 9.4 builds it: a grey ramp overwritten by the PLTE entries.
  uint8_t palette[256][3];
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    for (int i = 0; i < 256; ++i) palette[i][0] = palette[i][1] = palette[i][2] = static_cast<uint8_t>(i);
    png_colorp plte = nullptr;
    int n = 0;
    if (png_get_PLTE(png, info, &plte, &n) && plte) {
      for (int i = 0; i < n && i < 256; ++i) {
        palette[i][0] = plte[i].red;
        palette[i][1] = plte[i].green;
        palette[i][2] = plte[i].blue;
      }
    }
  }
  if (depth < 8) png_set_packing(png);  // one byte per sample, values unscaled
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const size_t rowbytes = png_get_rowbytes(png, info);
  const size_t raw_rows = passes > 1 ? static_cast<size_t>(h) : 1;

  Image& out = *job.out;
  try {
    out.width = static_cast<int>(w);
    out.height = static_cast<int>(h);
    out.pixels.resize(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
    if (has_alpha(color_type)) out.alpha.resize(static_cast<size_t>(w) * static_cast<size_t>(h));
    job.raw->assign(rowbytes * raw_rows, 0);
    job.rows->resize(raw_rows);
  } catch (const std::bad_alloc&) {
    std::snprintf(job.error, sizeof job.error, "out of memory for a %lldx%lld PNG",
                  static_cast<long long>(w), static_cast<long long>(h));
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  const size_t out_stride = static_cast<size_t>(w) * 3;
  if (passes > 1) {
    for (size_t y = 0; y < raw_rows; ++y) (*job.rows)[y] = job.raw->data() + y * rowbytes;
    png_read_image(png, job.rows->data());
    for (size_t y = 0; y < raw_rows; ++y) {
      convert_row((*job.rows)[y], out.pixels.data() + y * out_stride, static_cast<size_t>(w), color_type,
                  depth, palette);
      if (!out.alpha.empty())
        alpha_row((*job.rows)[y], out.alpha.data() + y * static_cast<size_t>(w), static_cast<size_t>(w),
                  color_type, depth);
    }
  } else {
    for (size_t y = 0; y < static_cast<size_t>(h); ++y) {
      png_read_row(png, job.raw->data(), nullptr);
      convert_row(job.raw->data(), out.pixels.data() + y * out_stride, static_cast<size_t>(w), color_type,
                  depth, palette);
      if (!out.alpha.empty())
        alpha_row(job.raw->data(), out.alpha.data() + y * static_cast<size_t>(w), static_cast<size_t>(w),
                  color_type, depth);
    }
  }
  // No png_read_end: like PIL, whatever follows the image data (even a missing IEND)
  // does not matter once every row is decoded.
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

}  // namespace

Image decode_png(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  Image out;
  std::vector<uint8_t> raw;
  std::vector<png_bytep> rows;
  Job job{};
  job.reader.data = data;
  job.reader.size = size;
  job.limits = &limits;
  job.out = &out;
  job.raw = &raw;
  job.rows = &rows;
  if (!decode_into(job)) {
    if (job.bad_size) {
      check_dimensions(job.bad_width, job.bad_height, limits, "PNG");
      check_decode_budget(job.bad_width, job.bad_height, job.bad_bpp, "PNG");
    }
    fail("{}", job.error[0] ? job.error : "corrupt PNG");
  }
  return out;
}

}  // namespace argus::image::detail
