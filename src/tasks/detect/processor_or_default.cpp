#include "tasks/detect/processor_or_default.h"

#include <filesystem>

namespace argus::tasks {

image::ImageProcessorConfig processor_or_default(const std::string& dir, const std::string& default_type) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "preprocessor_config.json", ec) || fs::exists(fs::path(dir) / "processor_config.json", ec))
    return image::load_image_processor_config(dir);
  return image::parse_image_processor_config({{"image_processor_type", default_type}});
}

}  // namespace argus::tasks
