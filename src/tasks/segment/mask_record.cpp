#include "tasks/segment/mask_record.h"

#include <algorithm>
#include <numeric>

#include "util/error.h"

namespace argus::tasks::segment {

MaskRecord summarize_mask(const uint8_t* mask, int h, int w) {
  if (h <= 0 || w <= 0) fail("mask size {}x{} is not positive", w, h);
  MaskRecord r;
  int64_t x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = mask + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x)
      if (row[x]) {
        ++r.area;
        x0 = std::min<int64_t>(x0, x), x1 = std::max<int64_t>(x1, x);
        y0 = std::min<int64_t>(y0, y), y1 = std::max<int64_t>(y1, y);
      }
  }
  if (r.area > 0) r.bbox = {x0, y0, x1 - x0 + 1, y1 - y0 + 1};
  r.rle = image::rle_encode(mask, h, w);
  return r;
}

std::array<double, 4> bbox_corners(const MaskRecord& m) {
  const auto& b = m.bbox;
  if (m.area == 0) return {0, 0, 0, 0};
  return {static_cast<double>(b[0]), static_cast<double>(b[1]), static_cast<double>(b[0] + b[2] - 1),
          static_cast<double>(b[1] + b[3] - 1)};
}

std::vector<size_t> box_nms(const std::vector<std::array<double, 4>>& boxes, const std::vector<double>& scores,
                            double iou_threshold) {
  if (boxes.size() != scores.size()) fail("box_nms: {} boxes but {} scores", boxes.size(), scores.size());
  std::vector<size_t> order(boxes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  auto area = [](const std::array<double, 4>& b) { return std::max(0.0, b[2] - b[0]) * std::max(0.0, b[3] - b[1]); };
  std::vector<size_t> keep;
  for (size_t i : order) {
    bool suppressed = false;
    for (size_t k : keep) {
      const auto &a = boxes[i], &b = boxes[k];
      const double iw = std::min(a[2], b[2]) - std::max(a[0], b[0]);
      const double ih = std::min(a[3], b[3]) - std::max(a[1], b[1]);
      if (iw <= 0 || ih <= 0) continue;
      const double inter = iw * ih, uni = area(a) + area(b) - inter;
      if (uni > 0 && inter / uni > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) keep.push_back(i);
  }
  return keep;
}

}  // namespace argus::tasks::segment
