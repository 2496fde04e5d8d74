// A detector checkpoint's image processor: its preprocessor_config.json /
// processor_config.json, or, when it ships neither (as some hub repos of Grounding
// DINO and DETR do), the named transformers class with its defaults.
#pragma once
#include <string>

#include "image/processor_config.h"

namespace argus::tasks {

image::ImageProcessorConfig processor_or_default(const std::string& dir, const std::string& default_type);

}  // namespace argus::tasks
