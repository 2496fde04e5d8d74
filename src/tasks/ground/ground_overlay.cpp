#include "tasks/ground/ground_overlay.h"

#include "image/overlay.h"
#include "tasks/detect/detection_overlay.h"

namespace argus::tasks {

void draw_grounded(image::Image& img, const GroundResult& res) {
  std::vector<Detection> dets;
  // Worst first, so the best masks end up on top.
  for (auto it = res.objects.rbegin(); it != res.objects.rend(); ++it) {
    auto mask = image::rle_decode(it->rle);
    image::draw_mask(img, mask.data(), img.height, img.width, image::palette(static_cast<int>(it->detection.query)),
                     0.4f);
    dets.insert(dets.begin(), it->detection);
  }
  draw_detections(img, dets);
}

}  // namespace argus::tasks
