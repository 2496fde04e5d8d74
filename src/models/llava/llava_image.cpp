#include "models/llava/llava_image.h"

#include <algorithm>
#include <cstring>

#include "image/preprocess.h"
#include "util/error.h"

namespace argus::models::llava {

std::array<uint8_t, 3> mean_color(const image::ImageProcessorConfig& c) {
  std::array<uint8_t, 3> out{};
  for (int i = 0; i < 3; ++i) {
    // int() truncates toward zero; clamp so an odd mean cannot wrap around.
    double v = std::clamp(c.image_mean[i] * 255.0, 0.0, 255.0);
    out[i] = static_cast<uint8_t>(static_cast<int>(v));
  }
  return out;
}

image::Image expand_to_square(const image::Image& im, std::array<uint8_t, 3> color) {
  if (im.width == im.height) return im;
  int side = std::max(im.width, im.height);
  image::Image out = image::make_image(side, side);
  for (size_t p = 0; p < out.pixels.size(); p += 3) std::memcpy(&out.pixels[p], color.data(), 3);
  int left = (side - im.width) / 2, top = (side - im.height) / 2;
  size_t row = static_cast<size_t>(im.width) * 3;
  for (int y = 0; y < im.height; ++y)
    std::memcpy(&out.pixels[(static_cast<size_t>(y + top) * side + left) * 3], &im.pixels[y * row], row);
  return out;
}

at::Tensor llava_pixel_values(const std::vector<image::Image>& images, const image::ImageProcessorConfig& c,
                              bool pad_to_square) {
  std::vector<at::Tensor> out;
  for (const auto& im : images) {
    image::PixelValues pv = image::preprocess(pad_to_square ? expand_to_square(im, mean_color(c)) : im, c);
    out.push_back(at::tensor(pv.data, at::kFloat).view({pv.channels, pv.height, pv.width}));
  }
  if (out.empty()) return at::empty({0, 3, 0, 0});
  for (const auto& t : out)
    if (t.sizes() != out[0].sizes()) fail("llava: images preprocess to different sizes");
  return at::stack(out);
}

}  // namespace argus::models::llava
