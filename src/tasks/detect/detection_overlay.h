// Detections drawn on their image: what `detect --out`, `ground --out` and the agent's
// detect tool show.
#pragma once
#include <vector>

#include "image/image.h"
#include "tasks/detect/detector.h"

namespace argus::tasks {

// Box outlines, one palette colour per query, each tagged "label score"; the best drawn last (on top).
void draw_detections(image::Image& img, const std::vector<Detection>& dets);

}  // namespace argus::tasks
