#include "image/clip_transform.h"

#include <cmath>

#include "image/geometry.h"
#include "image/resample.h"
#include "util/error.h"

namespace argus::image {

int clip_crop_offset(int from, int to) {
  return static_cast<int>(std::nearbyint((from - to) / 2.0));  // default rounding: half to even
}

PixelValues clip_transform(const Image& im, int size, const std::array<double, 3>& mean,
                           const std::array<double, 3>& std) {
  if (size <= 0) fail("clip_transform: image size {} is not positive", size);
  const Size2 t = shortest_edge_size(im.height, im.width, size);
  // torchvision hands an image already at the target size back unchanged.
  Image resized = t.height == im.height && t.width == im.width ? im : resize(im, t.width, t.height, Filter::Bicubic);
  Image cropped = crop(resized, clip_crop_offset(resized.width, size), clip_crop_offset(resized.height, size), size, size);
  PixelValues pv;
  pv.height = pv.width = size;
  pv.original_height = im.height;
  pv.original_width = im.width;
  pv.resized_height = resized.height;
  pv.resized_width = resized.width;
  const size_t plane = static_cast<size_t>(size) * static_cast<size_t>(size);
  pv.data.resize(plane * 3);
  for (int c = 0; c < 3; ++c) {
    const float m = static_cast<float>(mean[c]), s = static_cast<float>(std[c]);
    float* out = pv.data.data() + c * plane;
    for (size_t i = 0; i < plane; ++i) out[i] = (static_cast<float>(cropped.pixels[3 * i + c]) / 255.0f - m) / s;
  }
  return pv;
}

}  // namespace argus::image
