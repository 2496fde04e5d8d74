#include "train/image_batch.h"

#include "image/preprocess.h"

namespace argus::train {

at::Tensor preprocess_images(const std::vector<image::Image>& images, const nlohmann::json& processor) {
  std::vector<const image::Image*> all;
  for (const auto& im : images) all.push_back(&im);
  return preprocess_images(all, image::parse_image_processor_config(processor));
}

at::Tensor preprocess_images(const std::vector<const image::Image*>& images, const image::ImageProcessorConfig& processor) {
  std::vector<at::Tensor> items;
  for (const auto* im : images) {
    auto pv = image::preprocess(*im, processor);
    items.push_back(at::from_blob(pv.data.data(), {pv.channels, pv.height, pv.width}, at::kFloat).clone());
  }
  return at::stack(items);
}

}  // namespace argus::train
