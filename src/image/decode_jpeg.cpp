// JPEG via libjpeg-turbo (the library Pillow uses), with libjpeg's defaults
// (islow DCT, fancy upsampling) so decoded pixels are bit-identical to PIL's.
// libjpeg reports fatal errors through a callback that must not return: we longjmp
// back to decode_into(), which holds no C++ objects with destructors.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include <jpeglib.h>
#include <jerror.h>

#include "image/codecs.h"
#include "image/decode_budget.h"
#include "util/error.h"

namespace argus::image::detail {

namespace {

// A progressive file may carry thousands of tiny scans that each re-walk the whole
// coefficient buffer; real encoders write fewer than 20.
constexpr int kMaxScans = 1000;

struct ErrorMgr {
  jpeg_error_mgr pub;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 64];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
  char buf[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, buf);
  std::snprintf(err->message, sizeof err->message, "corrupt JPEG: %s", buf);
  std::longjmp(err->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
  // Other warnings (corrupt entropy data, extraneous bytes) are ignored, as PIL does.
  // Running out of data is not: PIL reports "image file is truncated".
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "truncated JPEG data");
    std::longjmp(err->jump, 1);
  }
}

void on_progress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "corrupt JPEG: more than %d scans", kMaxScans);
    std::longjmp(err->jump, 1);
  }
}

struct Job {
  const uint8_t* data;
  size_t size;
  const DecodeLimits* limits;
  Image* out;
  std::vector<uint8_t>* row;
  // Set when the header passes but the size does not: rethrown as check_dimensions' error.
  int64_t bad_width = 0, bad_height = 0;
  int bad_bpp = 3;
  bool bad_size = false;
  char error[JMSG_LENGTH_MAX + 64];
};

// CMYK as PIL has it ("CMYK;I": Adobe-inverted) to RGB as PIL's convert does.
inline uint8_t cmyk_channel(int c, int nk) {
  int t = c * nk + 128;
  int v = nk - (((t >> 8) + t) >> 8);
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

bool decode_into(Job& job) {
  jpeg_decompress_struct cinfo;
  ErrorMgr err;
  err.message[0] = '\0';
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  if (setjmp(err.jump)) {
    std::snprintf(job.error, sizeof job.error, "%s", err.message);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  err.progress.progress_monitor = on_progress;
  cinfo.progress = &err.progress;
  jpeg_mem_src(&cinfo, job.data, static_cast<unsigned long>(job.size));
  jpeg_read_header(&cinfo, TRUE);

  const int64_t w = cinfo.image_width, h = cinfo.image_height;
  // The RGB output (rows are decoded one at a time), plus libjpeg's whole-image
  // coefficient buffers for a progressive file (2 bytes per coefficient per component).
  const int bpp = 3 + (cinfo.progressive_mode ? 2 * cinfo.num_components : 0);
  if (w <= 0 || h <= 0 || w * h > job.limits->max_pixels || !within_decode_budget(w, h, bpp)) {
    job.bad_bpp = bpp;
    job.bad_size = true;
    job.bad_width = w;
    job.bad_height = h;
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  const int comps = cinfo.num_components;
  if (comps == 1) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (comps == 3) {
    cinfo.out_color_space = JCS_RGB;
  } else if (comps == 4) {
    cinfo.out_color_space = JCS_CMYK;  // libjpeg turns YCCK into CMYK
  } else {
    std::snprintf(job.error, sizeof job.error, "unsupported JPEG with %d components", comps);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_start_decompress(&cinfo);
  if (static_cast<int64_t>(cinfo.output_width) != w || static_cast<int64_t>(cinfo.output_height) != h ||
      cinfo.output_components != (comps == 3 ? 3 : comps)) {
    std::snprintf(job.error, sizeof job.error, "corrupt JPEG: unexpected output geometry");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }

  Image& out = *job.out;
  try {
    out.width = static_cast<int>(w);
    out.height = static_cast<int>(h);
    out.pixels.resize(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
    job.row->resize(static_cast<size_t>(w) * static_cast<size_t>(comps));
  } catch (const std::bad_alloc&) {
    std::snprintf(job.error, sizeof job.error, "out of memory for a %lldx%lld JPEG",
                  static_cast<long long>(w), static_cast<long long>(h));
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  uint8_t* row = job.row->data();
  while (cinfo.output_scanline < cinfo.output_height) {
    const size_t y = cinfo.output_scanline;
    uint8_t* dst = out.pixels.data() + y * static_cast<size_t>(w) * 3;
    JSAMPROW rows[1] = {comps == 3 ? dst : row};
    if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) {
      std::snprintf(job.error, sizeof job.error, "truncated JPEG data");
      jpeg_destroy_decompress(&cinfo);
      return false;
    }
    if (comps == 1) {
      for (int64_t x = 0; x < w; ++x) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = row[x];
    } else if (comps == 4) {
      for (int64_t x = 0; x < w; ++x) {
        const uint8_t* p = row + 4 * x;
        // PIL reads CMYK JPEGs as Adobe-inverted ("CMYK;I").
        const int nk = p[3];  // 255 - (255 - raw K)
        dst[3 * x + 0] = cmyk_channel(255 - p[0], nk);
        dst[3 * x + 1] = cmyk_channel(255 - p[1], nk);
        dst[3 * x + 2] = cmyk_channel(255 - p[2], nk);
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace

Image decode_jpeg(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  Image out;
  std::vector<uint8_t> row;
  Job job{};
  job.data = data;
  job.size = size;
  job.limits = &limits;
  job.out = &out;
  job.row = &row;
  if (!decode_into(job)) {
    if (job.bad_size) {
      check_dimensions(job.bad_width, job.bad_height, limits, "JPEG");
      check_decode_budget(job.bad_width, job.bad_height, job.bad_bpp, "JPEG");
    }
    fail("{}", job.error[0] ? job.error : "corrupt JPEG");
  }
  return out;
}

}  // namespace argus::image::detail
