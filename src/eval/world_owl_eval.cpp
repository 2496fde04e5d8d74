// Detection AP50 and referring-expression box IoU of an OWL-style detector on a
// generated world's split.
#include <map>
#include <set>

#include "eval/world_eval.h"
#include "image/decode.h"
#include "tasks/detect/detector.h"
#include "train/world_data.h"
#include "util/average_precision.h"
#include "util/progress.h"
#include "world/attributes.h"

namespace argus::eval {

nlohmann::json evaluate_owl(const std::string& model_dir, const world::WorldSplit& split, int64_t max_images) {
  auto detector = tasks::Detector::open(model_dir);
  auto images = evaluated_images(split, max_images);
  std::set<int64_t> kept;
  for (const auto* im : images) kept.insert(im->id);
  std::vector<std::string> shapes = train::world_detection_queries();
  shapes.resize(world::kNumShapes);  // the COCO categories

  // Every patch's box is a candidate: COCO's AP wants the full ranking, so nothing is
  // thresholded away; NMS per class removes duplicates, as detectors are evaluated.
  tasks::DetectOptions all;
  all.threshold = 0.0;
  all.nms_iou = 0.5;
  all.top_k = 100;
  tasks::DetectOptions best;  // the top box for a referring expression
  best.threshold = 0.0;
  best.nms_iou = -1;
  best.top_k = 1;

  std::map<int64_t, std::vector<const world::RefRecord*>> refs_of;
  int64_t n_refs = 0;
  for (const auto& r : split.refs)
    if (kept.count(r.image_id)) refs_of[r.image_id].push_back(&r), ++n_refs;
  std::map<int64_t, const world::AnnotationRecord*> annotation;
  for (const auto& a : split.annotations) annotation[a.id] = &a;

  std::vector<ScoredBox> dets;
  std::vector<TruthBox> truths;
  double refer_iou_sum = 0;
  int64_t refer_hits = 0;
  auto corners = [](const std::array<double, 4>& b) { return Box{b[0], b[1], b[0] + b[2], b[1] + b[3]}; };
  Progress progress("detecting " + split_name(split), static_cast<int64_t>(images.size()));
  for (const auto* im : images) {
    image::Image pixels = image::load_image(split.image_path(*im));
    for (const auto& d : detector->detect(pixels, shapes, {}, all).detections)
      dets.push_back({im->id, d.label, d.score, {d.box[0], d.box[1], d.box[2], d.box[3]}});
    for (const auto* a : split.annotations_of(im->id)) truths.push_back({im->id, a->shape, corners(a->bbox)});
    for (const auto* r : refs_of[im->id]) {
      auto top = detector->detect(pixels, {r->sentence}, {}, best).detections;
      double iou = top.empty() ? 0.0
                               : box_iou({top[0].box[0], top[0].box[1], top[0].box[2], top[0].box[3]},
                                         corners(annotation.at(r->ann_id)->bbox));
      refer_iou_sum += iou;
      refer_hits += iou >= 0.5;
    }
    progress.step();
  }
  progress.finish();
  std::map<std::string, double> per_class;
  double ap50 = mean_average_precision(dets, truths, 0.5, &per_class);
  // The same boxes with the names ignored: how much of the AP is lost to naming.
  for (auto& d : dets) d.label = "object";
  for (auto& t : truths) t.label = "object";
  double agnostic = mean_average_precision(dets, truths, 0.5);
  nlohmann::json by_class = nlohmann::json::object();
  for (const auto& [label, ap] : per_class) by_class[label] = ap;
  auto frac = [](double a, int64_t b) { return b > 0 ? nlohmann::json(a / double(b)) : nlohmann::json(); };
  return {{"det_ap50", truths.empty() ? nlohmann::json() : nlohmann::json(ap50)},
          {"det_ap50_by_class", by_class},
          {"det_ap50_class_agnostic", truths.empty() ? nlohmann::json() : nlohmann::json(agnostic)},
          {"refer_iou", frac(refer_iou_sum, n_refs)},
          {"refer_acc50", frac(double(refer_hits), n_refs)},
          {"counts", {{"det_objects", truths.size()}, {"refer_expressions", n_refs}}}};
}

}  // namespace argus::eval
