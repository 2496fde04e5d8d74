// Open-vocabulary detection behind one interface: text queries (and, where the model
// supports them, image exemplars) against one target image, giving scored boxes in the
// target's original pixels after threshold, optional NMS and top-k. Detector::open picks
// the implementation from the checkpoint: OWL-ViT / OWLv2 (owl_detector.h) or
// Grounding DINO (grounding_dino_detector.h).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/image.h"

namespace argus::tasks {

// A query given by example: the object inside `box` (x0, y0, x1, y1 in the exemplar
// image's pixels) of another image.
struct Exemplar {
  image::Image image;
  std::array<float, 4> box{};
  std::string label = "exemplar";
};

struct DetectOptions {
  // Keep scores strictly above it; unset: the detector's default (OWL 0.1, Grounding
  // DINO 0.25, DETR 0.5, the references' defaults).
  std::optional<double> threshold;
  double text_threshold = 0.25;  // Grounding DINO: the query's phrase must score above it too
  // < 0: no NMS; else suppress boxes with IoU > nms_iou to a better one. Unset: the
  // detector's default, kDefaultNmsIou, but none for DETR, whose set prediction needs
  // none (transformers' post-processing applies none).
  std::optional<double> nms_iou;
  bool class_agnostic = false;   // NMS across queries instead of within each query
  std::optional<int64_t> top_k;  // unset: all; else >= 1
};

// A request's list bounds: every text query is a text-tower pass and a class-head
// column, every exemplar an image decoded and encoded.
constexpr size_t kMaxTextQueries = 1024;
constexpr size_t kMaxExemplars = 16;
constexpr double kDefaultNmsIou = 0.3;

struct Detection {
  int64_t query = 0;  // index into text queries, then exemplars; a closed-set detector's class id
  std::string label;
  float score = 0;
  std::array<float, 4> box{};  // x0, y0, x1, y1 in the original image's pixels (not clipped, as the reference)
};

struct DetectResult {
  int height = 0, width = 0;  // the target image
  std::vector<Detection> detections;  // best first
  std::vector<std::string> warnings;  // e.g. truncated queries; the CLI prints them on stderr
};

// {"image_size":[H,W],"detections":[{"query","label","score","box"}...]}
nlohmann::json to_json(const Detection& d);
nlohmann::json to_json(const DetectResult& r);

class Detector {
 public:
  virtual ~Detector() = default;

  // Loads an owlvit, owlv2, grounding-dino or detr checkpoint directory with its
  // tokenizer and image processor; any other model type is an error naming it.
  static std::unique_ptr<Detector> open(const std::string& dir);

  // A closed-set detector (DETR) finds its own trained classes and takes no queries.
  virtual bool closed_set() const { return false; }

  // Queries are text_queries (labels = the texts) followed by exemplars. At least one
  // query is needed (none for a closed-set detector, which refuses them); empty texts,
  // exemplar boxes outside their image and exemplars given to a detector without
  // image-guided mode are errors.
  virtual DetectResult detect(const image::Image& target, const std::vector<std::string>& text_queries,
                              const std::vector<Exemplar>& exemplars = {}, const DetectOptions& opts = {}) = 0;
};

// The rules every front end and detector share: queries within the bounds above (checked
// on the counts, before any image is decoded), scores thresholds in [0, 1] (scores are
// probabilities: outside that range a threshold keeps everything or nothing), NMS IoU
// below 1, top_k >= 1.
void check_query_counts(size_t n_text_queries, size_t n_exemplars);
void check_detect_options(const DetectOptions& opts);
// Both, and at least one query.
void check_detect_request(size_t n_text_queries, size_t n_exemplars, const DetectOptions& opts);

// Sorts by descending score (stable), then NMS (per query, or across queries when
// class_agnostic) and top-k as `opts` asks.
void filter_detections(std::vector<Detection>& dets, const DetectOptions& opts);

}  // namespace argus::tasks
