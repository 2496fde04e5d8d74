#include "image/resample.h"

#include <cmath>
#include <cstring>

#include "util/error.h"

namespace argus::image {

namespace {

// Same expressions as Pillow's filters so the double coefficients round the same way.
double box_filter(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double hamming_filter(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * M_PI;
  // Pillow writes these constants as floats; keep them floats for identical doubles.
  return std::sin(x) / x * (0.54f + 0.46f * std::cos(x));
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return std::sin(x) / x;
}

double lanczos_filter(double x) { return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0; }

struct FilterDef {
  double (*fn)(double);
  double support;
};

FilterDef filter_def(Filter f) {
  switch (f) {
    case Filter::Box: return {box_filter, 0.5};
    case Filter::Bilinear: return {bilinear_filter, 1.0};
    case Filter::Hamming: return {hamming_filter, 1.0};
    case Filter::Bicubic: return {bicubic_filter, 2.0};
    case Filter::Lanczos: return {lanczos_filter, 3.0};
    default: fail("filter {} is not a convolution filter", filter_name(f));
  }
}

constexpr int kPrecisionBits = 32 - 8 - 2;

// Per output index: the first input index, the tap count and ksize fixed-point taps.
struct Coeffs {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> k;
};

Coeffs precompute(int in_size, int out_size, const FilterDef& f) {
  // Pillow takes the source box as floats: (double)(box1 - box0) / out.
  const double scale = static_cast<double>(static_cast<float>(in_size)) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = f.support * filterscale;
  // Keeps the tap count an int; only absurd downscale factors get here.
  if (support > (1 << 28)) fail("resize from {} to {} pixels is too large a downscale", in_size, out_size);
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.k.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> w(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    if (xmax > c.ksize) xmax = c.ksize;  // cannot happen; keeps the writes in bounds
    double sum = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = f.fn((x + xmin - center + 0.5) * ss);
      sum += w[x];
    }
    int32_t* k = &c.k[static_cast<size_t>(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      const double v = sum != 0.0 ? w[x] / sum : w[x];
      const double scaled = v * (1 << kPrecisionBits);
      k[x] = static_cast<int32_t>(v < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax < 0 ? 0 : xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  const int32_t s = v >> kPrecisionBits;  // arithmetic shift, as in Pillow
  return static_cast<uint8_t>(s < 0 ? 0 : s > 255 ? 255 : s);
}

// Rows [row0, row0 + rows) of src (width in_w) -> rows x out_w.
std::vector<uint8_t> pass_horizontal(const uint8_t* src, int in_w, int row0, int rows, int C, const Coeffs& c,
                                     int out_w) {
  std::vector<uint8_t> dst(static_cast<size_t>(rows) * out_w * C);
  const size_t in_stride = static_cast<size_t>(in_w) * C;
  for (int y = 0; y < rows; ++y) {
    const uint8_t* in = src + static_cast<size_t>(row0 + y) * in_stride;
    uint8_t* out = dst.data() + static_cast<size_t>(y) * out_w * C;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &c.k[static_cast<size_t>(xx) * c.ksize];
      const uint8_t* p = in + static_cast<size_t>(c.first[xx]) * C;
      const int n = c.count[xx];
      for (int ch = 0; ch < C; ++ch) {
        int32_t ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < n; ++x) ss += p[x * C + ch] * k[x];
        out[xx * C + ch] = clip8(ss);
      }
    }
  }
  return dst;
}

// src has `width` columns; output row yy reads rows first[yy] - row0 ... of src.
std::vector<uint8_t> pass_vertical(const uint8_t* src, int width, int row0, int C, const Coeffs& c,
                                   int out_h) {
  const size_t stride = static_cast<size_t>(width) * C;
  std::vector<uint8_t> dst(static_cast<size_t>(out_h) * stride);
  std::vector<int32_t> acc(stride);
  for (int yy = 0; yy < out_h; ++yy) {
    const int32_t* k = &c.k[static_cast<size_t>(yy) * c.ksize];
    const int first = c.first[yy] - row0;
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    // Row-at-a-time accumulation: same sums as Pillow's per-pixel loop, cache friendly.
    for (int y = 0; y < c.count[yy]; ++y) {
      const uint8_t* in = src + static_cast<size_t>(first + y) * stride;
      const int32_t ky = k[y];
      for (size_t i = 0; i < stride; ++i) acc[i] += in[i] * ky;
    }
    uint8_t* out = dst.data() + static_cast<size_t>(yy) * stride;
    for (size_t i = 0; i < stride; ++i) out[i] = clip8(acc[i]);
  }
  return dst;
}

std::vector<uint8_t> resize_nearest(const uint8_t* src, int w, int h, int C, int ow, int oh) {
  // PIL maps output pixel centres through an affine transform, accumulating the
  // source coordinate in doubles.
  const double ax = static_cast<double>(static_cast<float>(w)) / ow;
  const double ay = static_cast<double>(static_cast<float>(h)) / oh;
  std::vector<int> xin(ow);
  double xo = ax * 0.5;
  for (int x = 0; x < ow; ++x) {
    int xi = xo < 0.0 ? -1 : static_cast<int>(xo);
    xin[x] = xi < 0 ? 0 : xi >= w ? w - 1 : xi;
    xo += ax;
  }
  std::vector<uint8_t> dst(static_cast<size_t>(ow) * oh * C);
  double yo = ay * 0.5;
  for (int y = 0; y < oh; ++y) {
    int yi = yo < 0.0 ? -1 : static_cast<int>(yo);
    yi = yi < 0 ? 0 : yi >= h ? h - 1 : yi;
    const uint8_t* in = src + static_cast<size_t>(yi) * w * C;
    uint8_t* out = dst.data() + static_cast<size_t>(y) * ow * C;
    for (int x = 0; x < ow; ++x) std::memcpy(out + x * C, in + static_cast<size_t>(xin[x]) * C, C);
    yo += ay;
  }
  return dst;
}

}  // namespace

Filter filter_from_pil(int code) {
  switch (code) {
    case 0: return Filter::Nearest;
    case 1: return Filter::Lanczos;
    case 2: return Filter::Bilinear;
    case 3: return Filter::Bicubic;
    case 4: return Filter::Box;
    case 5: return Filter::Hamming;
    default: fail("unknown PIL resample code {} (expected 0..5)", code);
  }
}

const char* filter_name(Filter f) {
  switch (f) {
    case Filter::Nearest: return "nearest";
    case Filter::Bilinear: return "bilinear";
    case Filter::Bicubic: return "bicubic";
    case Filter::Lanczos: return "lanczos";
    case Filter::Box: return "box";
    case Filter::Hamming: return "hamming";
  }
  return "?";
}

std::vector<uint8_t> resize_u8(const uint8_t* src, int width, int height, int channels, int out_width,
                               int out_height, Filter filter) {
  if (width <= 0 || height <= 0) fail("cannot resize an empty {}x{} image", width, height);
  if (out_width <= 0 || out_height <= 0) fail("invalid resize target {}x{}", out_width, out_height);
  if (channels < 1 || channels > 4) fail("cannot resize images with {} channels", channels);
  if (static_cast<int64_t>(out_width) * out_height > (int64_t{1} << 31))
    fail("resize target {}x{} is too large", out_width, out_height);
  if (filter == Filter::Nearest) return resize_nearest(src, width, height, channels, out_width, out_height);

  const FilterDef f = filter_def(filter);
  const bool need_h = out_width != width;
  const bool need_v = out_height != height;
  if (!need_h && !need_v)
    return std::vector<uint8_t>(src, src + static_cast<size_t>(width) * height * channels);

  const Coeffs cv = precompute(height, out_height, f);
  // The horizontal pass only computes the source rows the vertical pass will read.
  const int row_first = cv.first[0];
  const int row_last = cv.first[out_height - 1] + cv.count[out_height - 1];
  if (need_h) {
    const Coeffs ch = precompute(width, out_width, f);
    if (!need_v) return pass_horizontal(src, width, 0, height, channels, ch, out_width);
    std::vector<uint8_t> tmp = pass_horizontal(src, width, row_first, row_last - row_first, channels, ch, out_width);
    return pass_vertical(tmp.data(), out_width, row_first, channels, cv, out_height);
  }
  return pass_vertical(src, width, 0, channels, cv, out_height);
}

Image resize(const Image& src, int width, int height, Filter filter) {
  if (src.pixels.size() != static_cast<size_t>(src.width) * src.height * 3)
    fail("cannot resize: {}x{} RGB image holds {} bytes", src.width, src.height, src.pixels.size());
  Image out;
  out.pixels = resize_u8(src.pixels.data(), src.width, src.height, 3, width, height, filter);
  out.width = width;
  out.height = height;
  return out;
}

GrayImage resize(const GrayImage& src, int width, int height, Filter filter) {
  if (src.pixels.size() != static_cast<size_t>(src.width) * src.height)
    fail("cannot resize: {}x{} gray image holds {} bytes", src.width, src.height, src.pixels.size());
  GrayImage out;
  out.pixels = resize_u8(src.pixels.data(), src.width, src.height, 1, width, height, filter);
  out.width = width;
  out.height = height;
  return out;
}

}  // namespace argus::image
