// Segment everything: SAM's automatic mask generation (the SAM paper's
// SamAutomaticMaskGenerator, transformers' mask-generation pipeline). A grid of
// single-point prompts over the image (and optionally over zoomed-in crops), three
// masks per point, kept when the predicted IoU and the stability score are high
// enough and the mask does not end at a crop's inner edge; duplicates removed by
// box NMS; optional small-region cleanup.
#pragma once
#include <vector>

#include "image/image.h"
#include "tasks/segment/mask_record.h"
#include "tasks/segment/segmenter.h"

namespace argus::tasks::segment {

struct EverythingOptions {
  int points_per_side = 32;   // grid points along each side of a crop (layer 0)
  int points_per_batch = 64;  // points per decoder call
  double pred_iou_thresh = 0.88;
  double stability_score_thresh = 0.95;
  double stability_score_offset = 1.0;
  double mask_threshold = 0.0;
  double box_nms_thresh = 0.7;  // within a crop, and after small-region cleanup
  int crop_n_layers = 0;        // layer i adds (2^i)^2 overlapping crops
  double crop_nms_thresh = 0.7;
  double crop_overlap_ratio = 512.0 / 1500.0;
  int crop_n_points_downscale_factor = 1;  // layer i uses points_per_side / factor^i
  int64_t min_mask_region_area = 0;        // 0 = no cleanup
};

// The grid's bound: every grid point is a decoder call's prompt and up to three kept
// masks at the image's size, so a 64 x 64 grid is already 12,288 candidate masks.
constexpr int kMaxPointsPerSide = 64;

// Refuses options outside their domain (grid size 1..kMaxPointsPerSide, thresholds that
// are not finite numbers, NMS IoUs outside [0, 1], a negative min area, ...). The CLI and
// the server call it before loading anything; segment_everything calls it again.
void check_everything_options(const EverythingOptions& o);

// Crop boxes (x0, y0, x1, y1; x1/y1 exclusive) for layers 0..n_layers, layer 0 being
// the whole image; `layer` receives each box's layer.
std::vector<std::array<int64_t, 4>> crop_boxes(int height, int width, int n_layers, double overlap_ratio,
                                               std::vector<int>* layer = nullptr);

// Points (x, y) in [0, 1]: n x n cell centres, row by row.
std::vector<std::array<double, 2>> point_grid(int n);

// All surviving masks at the original image size, sorted by predicted IoU, best first.
std::vector<MaskRecord> segment_everything(Segmenter& s, const image::Image& img, const EverythingOptions& o = {});

}  // namespace argus::tasks::segment
