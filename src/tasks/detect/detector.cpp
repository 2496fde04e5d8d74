#include "tasks/detect/detector.h"

#include <algorithm>
#include <cmath>

#include "engine/model_kind.h"
#include "io/checkpoint.h"
#include "models/owlvit/owlvit_postprocess.h"
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
    default:
      fail("{}: model_type \"{}\" is not a detector (use an owlvit, owlv2 or grounding-dino checkpoint)", dir,
           kind.model_type);
  }
}

void check_detect_request(size_t n_queries, const DetectOptions& opts) {
  if (n_queries == 0) fail("detection needs at least one query: a text query or an exemplar box");
  if (opts.threshold && !std::isfinite(*opts.threshold)) fail("threshold {} is not a number", *opts.threshold);
  if (!std::isfinite(opts.text_threshold)) fail("text threshold {} is not a number", opts.text_threshold);
  if (!(opts.nms_iou < 1)) fail("NMS IoU {} must be below 1 (or negative for no NMS)", opts.nms_iou);
}

void filter_detections(std::vector<Detection>& dets, const DetectOptions& opts) {
  std::stable_sort(dets.begin(), dets.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  if (opts.nms_iou >= 0 && dets.size() > 1) {
    const auto n = static_cast<int64_t>(dets.size());
    std::vector<float> boxes, scores;
    std::vector<int64_t> labels;
    for (const auto& d : dets) {
      boxes.insert(boxes.end(), d.box.begin(), d.box.end());
      scores.push_back(d.score);
      labels.push_back(d.query);
    }
    at::Tensor keep = models::owlvit::nms_by_label(at::tensor(boxes).view({n, 4}), at::tensor(scores),
                                                   at::tensor(labels, at::kLong), opts.nms_iou, opts.class_agnostic);
    keep = keep.contiguous();
    const int64_t* k = keep.data_ptr<int64_t>();
    std::vector<Detection> kept;
    for (int64_t i = 0; i < keep.numel(); ++i) kept.push_back(dets[static_cast<size_t>(k[i])]);
    dets = std::move(kept);
  }
  if (opts.top_k >= 0 && dets.size() > static_cast<size_t>(opts.top_k)) dets.resize(static_cast<size_t>(opts.top_k));
}

}  // namespace argus::tasks
