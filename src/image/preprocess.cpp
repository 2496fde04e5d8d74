#include "image/preprocess.h"

#include <algorithm>
#include <cmath>

#include "image/geometry.h"
#include "image/resample.h"
#include "util/error.h"

namespace argus::image {

namespace {

void check_image(const Image& im) {
  if (im.width <= 0 || im.height <= 0 ||
      im.pixels.size() != static_cast<size_t>(im.width) * static_cast<size_t>(im.height) * 3)
    fail("preprocess: invalid {}x{} image holding {} bytes", im.width, im.height, im.pixels.size());
}

int to_size(double v, const char* what) {
  if (!(v >= 1.0) || v > 1e6) fail("preprocess: {} size {} is out of range", what, v);
  return static_cast<int>(v);
}

Normalization normalization_of(const ImageProcessorConfig& c) {
  return Normalization{c.do_rescale, c.rescale_factor, c.do_normalize, c.image_mean, c.image_std};
}

}  // namespace

Size2 shortest_edge_size(int height, int width, int shortest_edge) {
  if (height <= 0 || width <= 0 || shortest_edge <= 0) fail("shortest_edge_size: invalid sizes");
  const int shorter = std::min(height, width), longer = std::max(height, width);
  // Python: int(size * long / short), the product exact, the quotient a double.
  const int new_long =
      to_size(static_cast<double>(int64_t{shortest_edge} * longer) / static_cast<double>(shorter), "long side");
  return width <= height ? Size2{new_long, shortest_edge} : Size2{shortest_edge, new_long};
}

Size2 longest_edge_size(int height, int width, int longest_edge) {
  if (height <= 0 || width <= 0 || longest_edge <= 0) fail("longest_edge_size: invalid sizes");
  const double scale = longest_edge * 1.0 / std::max(height, width);
  return Size2{to_size(height * scale + 0.5, "height"), to_size(width * scale + 0.5, "width")};
}

Size2 shortest_longest_edge_size(int height, int width, int shortest_edge, int longest_edge) {
  if (height <= 0 || width <= 0 || shortest_edge <= 0 || longest_edge <= 0)
    fail("shortest_longest_edge_size: invalid sizes");
  double size = shortest_edge;
  double raw = 0.0;
  bool capped = false;
  const double mn = std::min(height, width), mx = std::max(height, width);
  if (mx / mn * size > longest_edge) {
    raw = longest_edge * mn / mx;
    size = std::nearbyint(raw);  // Python round(): half to even
    capped = true;
  }
  const int s = static_cast<int>(size);
  if ((height <= width && height == s) || (width <= height && width == s)) return Size2{height, width};
  const double base = capped ? raw : size;
  if (width < height) return Size2{to_size(base * height / width, "height"), s};
  return Size2{s, to_size(base * width / height, "width")};
}

Size2 resize_target(int height, int width, const SizeSpec& size, ProcessorKind kind) {
  if (kind == ProcessorKind::Sam && size.longest_edge > 0) return longest_edge_size(height, width, size.longest_edge);
  if (size.shortest_edge > 0 && size.longest_edge > 0)
    return shortest_longest_edge_size(height, width, size.shortest_edge, size.longest_edge);
  if (size.shortest_edge > 0) return shortest_edge_size(height, width, size.shortest_edge);
  if (size.height > 0 && size.width > 0) return Size2{size.height, size.width};
  if (size.longest_edge > 0) return longest_edge_size(height, width, size.longest_edge);
  fail("preprocess: size has neither shortest_edge, longest_edge nor height/width");
}

PixelValues normalize(const Image& im, const Normalization& n) {
  check_image(im);
  PixelValues pv;
  pv.height = im.height;
  pv.width = im.width;
  pv.original_height = pv.resized_height = im.height;
  pv.original_width = pv.resized_width = im.width;
  const size_t plane = static_cast<size_t>(im.width) * static_cast<size_t>(im.height);
  pv.data.resize(plane * 3);
  // transformers (torchvision backend) folds the rescale into mean and std in float32:
  // (x - mean * (1/factor)) / (std * (1/factor)); this reproduces its floats exactly.
  float sub[3], div[3], mul = 1.0f;
  for (int c = 0; c < 3; ++c) {
    sub[c] = 0.0f;
    div[c] = 1.0f;
    if (n.do_normalize) {
      const float inv = n.do_rescale ? static_cast<float>(1.0 / n.rescale_factor) : 1.0f;
      sub[c] = static_cast<float>(n.mean[c]) * inv;
      div[c] = static_cast<float>(n.std[c]) * inv;
    }
  }
  if (n.do_rescale && !n.do_normalize) mul = static_cast<float>(n.rescale_factor);
  const uint8_t* px = im.pixels.data();
  for (int c = 0; c < 3; ++c) {
    float* out = pv.data.data() + c * plane;
    for (size_t i = 0; i < plane; ++i) out[i] = (static_cast<float>(px[3 * i + c]) * mul - sub[c]) / div[c];
  }
  return pv;
}

void pad_bottom_right(PixelValues& pv, int height, int width, float value) {
  if (height < pv.height || width < pv.width)
    fail("cannot pad a {}x{} image to {}x{}", pv.height, pv.width, height, width);
  if (height == pv.height && width == pv.width) return;
  std::vector<float> out(static_cast<size_t>(pv.channels) * height * width, value);
  for (int c = 0; c < pv.channels; ++c)
    for (int y = 0; y < pv.height; ++y)
      std::copy_n(pv.data.data() + (static_cast<size_t>(c) * pv.height + y) * pv.width, pv.width,
                  out.data() + (static_cast<size_t>(c) * height + y) * width);
  pv.data = std::move(out);
  pv.height = height;
  pv.width = width;
}

PixelValues preprocess(const Image& im, const ImageProcessorConfig& c) {
  check_image(im);
  if (c.kind == ProcessorKind::Owlv2) return owlv2_preprocess(im, c);
  Image work;
  const Image* cur = &im;
  if (c.do_resize) {
    const Size2 t = resize_target(im.height, im.width, c.size, c.kind);
    if (t.height != im.height || t.width != im.width) {
      work = resize(im, t.width, t.height, c.resample);
      cur = &work;
    }
  }
  const int resized_h = cur->height, resized_w = cur->width;
  if (c.do_center_crop) {
    work = center_crop(*cur, c.crop_height, c.crop_width);
    cur = &work;
  }
  PixelValues pv = normalize(*cur, normalization_of(c));
  pv.original_height = im.height;
  pv.original_width = im.width;
  pv.resized_height = resized_h;
  pv.resized_width = resized_w;
  // SAM pads after normalising, so the border is 0 in normalised units. (DETR's
  // do_pad only pads a batch to its largest image: nothing to do for one image.)
  if (c.kind == ProcessorKind::Sam && c.do_pad) pad_bottom_right(pv, c.pad_height, c.pad_width, 0.0f);
  return pv;
}

PixelValues preprocess(const Image& im, const nlohmann::json& preprocessor_config) {
  return preprocess(im, parse_image_processor_config(preprocessor_config));
}

}  // namespace argus::image
