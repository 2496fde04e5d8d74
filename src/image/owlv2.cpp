// OWLv2's preprocessing as transformers 5 computes it (torchvision backend): all
// in float32 on [0,1] values, so it cannot share the 8-bit PIL path.
#include <algorithm>
#include <cmath>

#include "image/preprocess.h"
#include "util/error.h"

namespace argus::image {

namespace {

// Planar float image.
struct Planes {
  int channels = 3, height = 0, width = 0;
  std::vector<float> data;
  float* plane(int c) { return data.data() + static_cast<size_t>(c) * height * width; }
  const float* plane(int c) const { return data.data() + static_cast<size_t>(c) * height * width; }
};

// torchvision's _get_gaussian_kernel1d: exp(-x^2 / 2 sigma^2) on linspace(-h, h), normalised.
std::vector<float> gaussian_kernel(int ksize, float sigma) {
  std::vector<float> k(ksize);
  const float half = (ksize - 1) * 0.5f;
  float sum = 0.0f;
  for (int i = 0; i < ksize; ++i) {
    const float x = ksize == 1 ? -half : -half + (2.0f * half) * i / (ksize - 1);
    const float r = x / sigma;
    k[i] = std::exp(-0.5f * r * r);
    sum += k[i];
  }
  for (float& v : k) v /= sum;
  return k;
}

// Reflect padding ("d c b | a b c d | c b a"), folded repeatedly for huge kernels.
int reflect(int i, int n) {
  if (n == 1) return 0;
  const int period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

// Separable blur along one axis of every plane.
void blur_axis(Planes& p, const std::vector<float>& k, bool along_x) {
  const int half = static_cast<int>(k.size()) / 2;
  const int n = along_x ? p.width : p.height;
  std::vector<float> line(n), out(n);
  for (int c = 0; c < p.channels; ++c) {
    float* pl = p.plane(c);
    const int lines = along_x ? p.height : p.width;
    for (int l = 0; l < lines; ++l) {
      for (int i = 0; i < n; ++i) line[i] = along_x ? pl[static_cast<size_t>(l) * p.width + i] : pl[static_cast<size_t>(i) * p.width + l];
      for (int i = 0; i < n; ++i) {
        float s = 0.0f;
        for (int t = 0; t < static_cast<int>(k.size()); ++t) s += k[t] * line[reflect(i + t - half, n)];
        out[i] = s;
      }
      for (int i = 0; i < n; ++i) (along_x ? pl[static_cast<size_t>(l) * p.width + i] : pl[static_cast<size_t>(i) * p.width + l]) = out[i];
    }
  }
}

// torch's upsample_bilinear2d, align_corners=False: source = (dst + 0.5) * in/out - 0.5,
// clamped at 0, the upper neighbour clamped to the last index.
struct Taps {
  std::vector<int> i0, i1;
  std::vector<float> w0, w1;
};

Taps bilinear_taps(int in, int out) {
  Taps t;
  t.i0.resize(out);
  t.i1.resize(out);
  t.w0.resize(out);
  t.w1.resize(out);
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int d = 0; d < out; ++d) {
    float src = scale * (d + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
    int i0 = static_cast<int>(src);
    if (i0 > in - 1) i0 = in - 1;
    const int i1 = i0 + (i0 < in - 1 ? 1 : 0);
    const float l1 = src - static_cast<float>(i0);
    t.i0[d] = i0;
    t.i1[d] = i1;
    t.w1[d] = l1;
    t.w0[d] = 1.0f - l1;
  }
  return t;
}

Planes bilinear(const Planes& p, int out_h, int out_w) {
  const Taps ty = bilinear_taps(p.height, out_h), tx = bilinear_taps(p.width, out_w);
  Planes o;
  o.channels = p.channels;
  o.height = out_h;
  o.width = out_w;
  o.data.resize(static_cast<size_t>(o.channels) * out_h * out_w);
  for (int c = 0; c < p.channels; ++c) {
    const float* in = p.plane(c);
    float* dst = o.plane(c);
    for (int y = 0; y < out_h; ++y) {
      const float* r0 = in + static_cast<size_t>(ty.i0[y]) * p.width;
      const float* r1 = in + static_cast<size_t>(ty.i1[y]) * p.width;
      for (int x = 0; x < out_w; ++x) {
        const int a = tx.i0[x], b = tx.i1[x];
        dst[static_cast<size_t>(y) * out_w + x] =
            ty.w0[y] * (tx.w0[x] * r0[a] + tx.w1[x] * r0[b]) + ty.w1[y] * (tx.w0[x] * r1[a] + tx.w1[x] * r1[b]);
      }
    }
  }
  return o;
}

}  // namespace

PixelValues owlv2_preprocess(const Image& im, const ImageProcessorConfig& c) {
  if (im.width <= 0 || im.height <= 0 ||
      im.pixels.size() != static_cast<size_t>(im.width) * static_cast<size_t>(im.height) * 3)
    fail("preprocess: invalid {}x{} image holding {} bytes", im.width, im.height, im.pixels.size());
  // 1. rescale (float32 multiply) and 2. zero-pad bottom/right to a square.
  Planes p;
  p.height = c.do_pad ? std::max(im.height, im.width) : im.height;
  p.width = c.do_pad ? std::max(im.height, im.width) : im.width;
  p.data.assign(static_cast<size_t>(3) * p.height * p.width, 0.0f);
  const float scale = c.do_rescale ? static_cast<float>(c.rescale_factor) : 1.0f;
  for (int ch = 0; ch < 3; ++ch) {
    float* pl = p.plane(ch);
    for (int y = 0; y < im.height; ++y)
      for (int x = 0; x < im.width; ++x)
        pl[static_cast<size_t>(y) * p.width + x] =
            static_cast<float>(im.pixels[(static_cast<size_t>(y) * im.width + x) * 3 + ch]) * scale;
  }
  PixelValues pv;
  pv.original_height = im.height;
  pv.original_width = im.width;
  // 3. Gaussian antialiasing when shrinking along both axes, then bilinear.
  if (c.do_resize) {
    const int oh = c.size.height, ow = c.size.width;
    if (oh <= 0 || ow <= 0) fail("Owlv2ImageProcessor needs size.height and size.width");
    const float fh = static_cast<float>(p.height) / oh, fw = static_cast<float>(p.width) / ow;
    const float sh = std::max(0.0f, (fh - 1.0f) / 2.0f), sw = std::max(0.0f, (fw - 1.0f) / 2.0f);
    if (sh > 0.0f && sw > 0.0f) {
      // transformers passes (height, width) values where torchvision expects (x, y):
      // the height-derived kernel runs along x. Harmless for the usual square input.
      const int kx = 2 * static_cast<int>(std::ceil(3.0f * sh)) + 1;
      const int ky = 2 * static_cast<int>(std::ceil(3.0f * sw)) + 1;
      blur_axis(p, gaussian_kernel(kx, sh), true);
      blur_axis(p, gaussian_kernel(ky, sw), false);
    }
    if (oh != p.height || ow != p.width) p = bilinear(p, oh, ow);
  }
  pv.resized_height = p.height;
  pv.resized_width = p.width;
  // 4. normalise.
  for (int ch = 0; ch < 3; ++ch) {
    float* pl = p.plane(ch);
    if (!c.do_normalize) break;
    const float m = static_cast<float>(c.image_mean[ch]), s = static_cast<float>(c.image_std[ch]);
    for (size_t i = 0; i < static_cast<size_t>(p.height) * p.width; ++i) pl[i] = (pl[i] - m) / s;
  }
  pv.height = p.height;
  pv.width = p.width;
  pv.data = std::move(p.data);
  return pv;
}

}  // namespace argus::image
