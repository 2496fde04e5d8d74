#include "tasks/detect/detector.h"

#include <algorithm>
#include <cmath>

#include "engine/model_kind.h"
#include "io/checkpoint.h"
#include "models/owlvit/owlvit_postprocess.h"
#include "tasks/detect/detr_detector.h"
#include "tasks/detect/grounding_dino_detector.h"
#include "tasks/detect/owl_detector.h"
#include "util/error.h"

namespace argus::tasks {

nlohmann::json to_json(const Detection& d) {
  return {{"query", d.query}, {"label", d.label}, {"score", d.score}, {"box", d.box}};
}

nlohmann::json to_json(const DetectResult& r) {
  nlohmann::json dets = nlohmann::json::array();
  for (const auto& d : r.detections) dets.push_back(to_json(d));
  return {{"image_size", {r.height, r.width}}, {"detections", dets}};
}

std::unique_ptr<Detector> Detector::open(const std::string& dir) {
  auto kind = engine::model_kind(io::Checkpoint::open(dir));
  switch (kind.family) {
    case engine::Family::OwlVit:
    case engine::Family::Owlv2: return OwlDetector::open(dir);
    case engine::Family::GroundingDino: return GroundingDinoDetector::open(dir);
    case engine::Family::Detr: return DetrDetector::open(dir);
    default:
      fail("{}: model_type \"{}\" is not a detector (use an owlvit, owlv2, grounding-dino or detr checkpoint)", dir,
           kind.model_type);
  }
}

void check_query_counts(size_t n_text_queries, size_t n_exemplars) {
  if (n_text_queries > kMaxTextQueries)
    fail("detect: {} text queries is over the limit of {} per request", n_text_queries, kMaxTextQueries);
  if (n_exemplars > kMaxExemplars)
    fail("detect: {} exemplars is over the limit of {} per request", n_exemplars, kMaxExemplars);
}

void check_detect_options(const DetectOptions& opts) {
  if (opts.threshold && !(*opts.threshold >= 0 && *opts.threshold <= 1))
    fail("detect: threshold {} must be a score in [0, 1]", *opts.threshold);
  if (!(opts.text_threshold >= 0 && opts.text_threshold <= 1))
    fail("detect: text threshold {} must be a score in [0, 1]", opts.text_threshold);
  if (opts.nms_iou && (!(*opts.nms_iou < 1) || std::isnan(*opts.nms_iou)))
    fail("detect: NMS IoU {} must be in [0, 1) (or negative for no NMS)", *opts.nms_iou);
  if (opts.top_k && *opts.top_k < 1) fail("detect: top_k {} must be at least 1", *opts.top_k);
}

void check_detect_request(size_t n_text_queries, size_t n_exemplars, const DetectOptions& opts) {
  check_query_counts(n_text_queries, n_exemplars);
  if (n_text_queries + n_exemplars == 0) fail("detection needs at least one query: a text query or an exemplar box");
  check_detect_options(opts);
}

void filter_detections(std::vector<Detection>& dets, const DetectOptions& opts) {
  std::stable_sort(dets.begin(), dets.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  const double nms_iou = opts.nms_iou.value_or(kDefaultNmsIou);
  if (nms_iou >= 0 && dets.size() > 1) {
    const auto n = static_cast<int64_t>(dets.size());
    std::vector<float> boxes, scores;
    std::vector<int64_t> labels;
    for (const auto& d : dets) {
      boxes.insert(boxes.end(), d.box.begin(), d.box.end());
      scores.push_back(d.score);
      labels.push_back(d.query);
    }
    at::Tensor keep = models::owlvit::nms_by_label(at::tensor(boxes).view({n, 4}), at::tensor(scores),
                                                   at::tensor(labels, at::kLong), nms_iou, opts.class_agnostic);
    keep = keep.contiguous();
    const int64_t* k = keep.data_ptr<int64_t>();
    std::vector<Detection> kept;
    for (int64_t i = 0; i < keep.numel(); ++i) kept.push_back(dets[static_cast<size_t>(k[i])]);
    dets = std::move(kept);
  }
  if (opts.top_k && dets.size() > static_cast<size_t>(*opts.top_k)) dets.resize(static_cast<size_t>(*opts.top_k));
}

}  // namespace argus::tasks
