#include "util/average_precision.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace argus {

double box_iou(const Box& a, const Box& b) {
  double iw = std::min(a[2], b[2]) - std::max(a[0], b[0]), ih = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0.0;
  double inter = iw * ih;
  double uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0 ? inter / uni : 0.0;
}

namespace {

double label_ap(std::vector<const ScoredBox*> dets, const std::vector<const TruthBox*>& truths, double thr) {
  std::stable_sort(dets.begin(), dets.end(), [](const ScoredBox* a, const ScoredBox* b) { return a->score > b->score; });
  std::map<int64_t, std::vector<size_t>> truth_of_image;
  for (size_t i = 0; i < truths.size(); ++i) truth_of_image[truths[i]->image].push_back(i);
  std::vector<char> taken(truths.size(), 0);
  std::vector<double> precision, recall;
  int64_t tp = 0;
  for (size_t k = 0; k < dets.size(); ++k) {
    const ScoredBox& d = *dets[k];
    int64_t best = -1;
    double best_iou = thr;
    for (size_t t : truth_of_image[d.image]) {
      if (taken[t]) continue;
      double iou = box_iou(d.box, truths[t]->box);
      if (iou >= best_iou) best_iou = iou, best = static_cast<int64_t>(t);
    }
    if (best >= 0) taken[static_cast<size_t>(best)] = 1, ++tp;
    precision.push_back(double(tp) / double(k + 1));
    recall.push_back(double(tp) / double(truths.size()));
  }
  // Monotone precision envelope, then COCO's 101 recall points (0, 0.01, …, 1).
  for (size_t k = precision.size(); k-- > 1;) precision[k - 1] = std::max(precision[k - 1], precision[k]);
  double sum = 0;
  size_t k = 0;
  for (int r = 0; r <= 100; ++r) {
    double level = r / 100.0;
    while (k < recall.size() && recall[k] < level - 1e-12) ++k;
    if (k < recall.size()) sum += precision[k];
  }
  return sum / 101.0;
}

}  // namespace

double mean_average_precision(const std::vector<ScoredBox>& detections, const std::vector<TruthBox>& truths,
                              double iou_threshold, std::map<std::string, double>* per_label) {
  if (!(iou_threshold > 0 && iou_threshold <= 1)) fail("average precision: IoU threshold {} is not in (0, 1]", iou_threshold);
  std::map<std::string, std::vector<const TruthBox*>> truth_by_label;
  std::map<std::string, std::vector<const ScoredBox*>> dets_by_label;
  for (const auto& t : truths) truth_by_label[t.label].push_back(&t);
  for (const auto& d : detections) {
    if (!std::isfinite(d.score)) fail("average precision: a detection of \"{}\" has a non-finite score", d.label);
    dets_by_label[d.label].push_back(&d);
  }
  if (truth_by_label.empty()) return 0.0;
  double sum = 0;
  for (const auto& [label, ts] : truth_by_label) {
    double ap = label_ap(dets_by_label[label], ts, iou_threshold);
    if (per_label) (*per_label)[label] = ap;
    sum += ap;
  }
  return sum / double(truth_by_label.size());
}

}  // namespace argus
