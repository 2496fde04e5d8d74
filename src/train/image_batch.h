// Decoded images -> one [N, 3, H, W] float tensor through a checkpoint's image processor,
// as the recipes feed their towers.
#pragma once
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "image/image.h"
#include "image/processor_config.h"

namespace argus::train {

at::Tensor preprocess_images(const std::vector<image::Image>& images, const nlohmann::json& processor);
// A batch picked from a larger set (the SAM recipe preprocesses per step).
at::Tensor preprocess_images(const std::vector<const image::Image*>& images, const image::ImageProcessorConfig& processor);

}  // namespace argus::train
