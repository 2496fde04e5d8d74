#include "models/llava/llava_image.h"

#include "image/geometry.h"
#include "image/preprocess.h"
#include "util/error.h"

namespace argus::models::llava {

at::Tensor llava_pixel_values(const std::vector<image::Image>& images, const image::ImageProcessorConfig& c,
                              bool pad_to_square) {
  std::vector<at::Tensor> out;
  for (const auto& im : images) {
    image::PixelValues pv = image::preprocess(pad_to_square ? image::expand_to_square(im, image::mean_color(c.image_mean)) : im, c);
    out.push_back(at::tensor(pv.data, at::kFloat).view({pv.channels, pv.height, pv.width}));
  }
  if (out.empty()) return at::empty({0, 3, 0, 0});
  for (const auto& t : out)
    if (t.sizes() != out[0].sizes()) fail("llava: images preprocess to different sizes");
  return at::stack(out);
}

}  // namespace argus::models::llava
