#include "tasks/detect/detection_overlay.h"

#include <algorithm>

#include <fmt/format.h>

#include "image/overlay.h"
#include "image/overlay_text.h"

namespace argus::tasks {

void draw_detections(image::Image& img, const std::vector<Detection>& dets) {
  const int thickness = std::max(1, std::min(img.width, img.height) / 200);
  const int text_scale = std::max(1, std::min(img.width, img.height) / 300);
  // Worst first, so the best boxes and their tags end up on top.
  for (auto it = dets.rbegin(); it != dets.rend(); ++it) {
    auto color = image::palette(static_cast<int>(it->query));
    image::draw_box(img, it->box[0], it->box[1], it->box[2], it->box[3], color, thickness);
    image::draw_box_label(img, it->box[0], it->box[1], fmt::format("{} {:.2f}", it->label, it->score), color,
                          text_scale);
  }
}

}  // namespace argus::tasks
