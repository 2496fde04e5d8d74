// Detection average precision as COCO computes it at one IoU threshold (AP50 at 0.5):
// per label, detections in descending score each match the unmatched ground-truth box
// of their image and label that overlaps them most (IoU >= threshold); precision is made
// monotone and read at 101 recall points; the mean is over labels that have ground truth.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace argus {

using Box = std::array<double, 4>;  // x0, y0, x1, y1

struct ScoredBox {
  int64_t image = 0;
  std::string label;
  double score = 0;
  Box box{};
};

struct TruthBox {
  int64_t image = 0;
  std::string label;
  Box box{};
};

double box_iou(const Box& a, const Box& b);

// Mean AP over the labels with ground truth (0 when there is none); `per_label`, when
// given, receives each of those labels' AP.
double mean_average_precision(const std::vector<ScoredBox>& detections, const std::vector<TruthBox>& truths,
                              double iou_threshold, std::map<std::string, double>* per_label = nullptr);

}  // namespace argus
