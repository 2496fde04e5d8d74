// OWL-ViT / OWLv2 post-processing as tensor functions: score = sigmoid(best query logit
// per patch), label = that query, boxes (cx, cy, w, h) -> corners in pixels of the
// original image, threshold, optional NMS (per label or class-agnostic), top-k.
#pragma once
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

namespace argus::models::owlvit {

struct ImageSize {
  int64_t width = 0, height = 0;
};

struct DetectionOptions {
  double threshold = 0.1;       // keep scores strictly above this (transformers' `s > threshold`)
  double nms_iou = -1;          // in [0, 1): drop boxes overlapping a better kept one by IoU > nms_iou; < 0: no NMS
  bool class_agnostic = false;  // NMS across all labels (else only among boxes of the same query)
  int64_t top_k = -1;           // keep at most this many (best first); < 0: all
  // OWLv2: boxes are relative to the image padded (bottom/right) to a square, so scale
  // both axes by max(W, H). OWL-ViT: x by W, y by H.
  bool square_padded = false;
};

struct Detections {
  at::Tensor scores;  // [N] float
  at::Tensor labels;  // [N] int64: query index
  at::Tensor boxes;   // [N, 4] x0, y0, x1, y1 in pixels of the original image
};

// logits [B, P, Q], pred_boxes [B, P, 4]; one size per image. Each result is sorted by
// descending score (ties keep patch order).
std::vector<Detections> post_process_detection(const at::Tensor& logits, const at::Tensor& pred_boxes,
                                               const std::vector<ImageSize>& sizes, const DetectionOptions& opts = {});

// (cx, cy, w, h) -> (x0, y0, x1, y1), any leading dims.
at::Tensor center_to_corners(const at::Tensor& boxes);
// Pairwise IoU and generalised IoU of corner boxes a [N, 4], b [M, 4] -> [N, M].
at::Tensor box_iou(const at::Tensor& a, const at::Tensor& b);
at::Tensor generalized_box_iou(const at::Tensor& a, const at::Tensor& b);
// Greedy NMS: indices (int64) of the kept boxes, by descending score.
at::Tensor nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold);
// NMS within each label (or across labels when class_agnostic): kept indices, ascending,
// so inputs sorted by score stay sorted.
at::Tensor nms_by_label(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& labels,
                        double iou_threshold, bool class_agnostic);

}  // namespace argus::models::owlvit
