// A finished mask as segment reports it: COCO RLE at the original image size plus
// the numbers every consumer wants (area, COCO bbox, scores). Torch-free.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "image/mask_rle.h"

namespace argus::tasks::segment {

struct MaskRecord {
  image::MaskRle rle;
  int64_t area = 0;
  std::array<int64_t, 4> bbox{};  // x, y, w, h of the foreground pixels (all 0 when empty)
  float iou_pred = 0;
  float stability_score = 0;                // segment-everything only
  std::array<double, 2> point{};            // segment-everything: the grid point that made it
  std::array<int64_t, 4> crop_box{};        // segment-everything: x0, y0, x1, y1 of its crop
};

// Area, bbox and RLE of a row-major [h, w] mask (non-zero = foreground).
MaskRecord summarize_mask(const uint8_t* mask, int h, int w);

// Corners x0, y0, x1, y1 of the bbox with x1/y1 the last foreground column/row
// (SAM's batched_mask_to_box): the boxes that NMS compares.
std::array<double, 4> bbox_corners(const MaskRecord& m);

// Greedy non-maximum suppression on boxes (x0, y0, x1, y1): visits boxes by score,
// highest first (ties: lower index first), and drops any whose IoU with a kept box
// exceeds `iou_threshold`. Returns kept indices in visiting order.
std::vector<size_t> box_nms(const std::vector<std::array<double, 4>>& boxes, const std::vector<double>& scores,
                            double iou_threshold);

}  // namespace argus::tasks::segment
