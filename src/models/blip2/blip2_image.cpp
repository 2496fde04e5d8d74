#include "models/blip2/blip2_image.h"

#include "image/preprocess.h"
#include "util/error.h"

namespace argus::models::blip2 {

image::ImageProcessorConfig load_blip2_processor(const std::string& dir, const Blip2Config& c) {
  image::ImageProcessorConfig p = image::load_image_processor_config(dir);
  if (p.kind != image::ProcessorKind::Generic)
    fail("{}: image_processor_type {} is not BLIP-2's (BlipImageProcessor)", dir, p.type);
  const int side = static_cast<int>(c.vision.image_size);
  const bool square = p.do_resize && p.size.height == side && p.size.width == side;
  const bool cropped = p.do_center_crop && (p.crop_height != side || p.crop_width != side);
  if (!square || cropped)
    fail("{}: the processor's size must be {}x{} (vision_config.image_size) without another crop", dir, side, side);
  return p;
}

at::Tensor blip2_pixel_values(const image::Image& im, const image::ImageProcessorConfig& p) {
  image::PixelValues pv = image::preprocess(im, p);
  return at::tensor(pv.data, at::kFloat).view({1, pv.channels, pv.height, pv.width});
}

}  // namespace argus::models::blip2
