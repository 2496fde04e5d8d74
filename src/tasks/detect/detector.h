// Open-vocabulary detection with OWL-ViT / OWLv2: text queries and image exemplars
// (a box on another image) against one target image, post-processed as transformers
// does (score = sigmoid of the best query logit per patch, label = that query), then
// threshold, optional NMS and top-k, with boxes in the target's original pixels.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "image/image.h"
#include "image/processor_config.h"
#include "models/owlvit/owlvit_model.h"
#include "tasks/detect/text_query_encoder.h"

namespace argus::tasks {

// A query given by example: the object inside `box` (x0, y0, x1, y1 in the exemplar
// image's pixels) of another image.
struct Exemplar {
  image::Image image;
  std::array<float, 4> box{};
  std::string label = "exemplar";
};

struct DetectOptions {
  double threshold = 0.1;       // keep scores strictly above it (transformers' default)
  double nms_iou = 0.3;         // < 0: no NMS; else suppress boxes with IoU > nms_iou to a better one
  bool class_agnostic = false;  // NMS across queries instead of within each query
  int64_t top_k = -1;           // < 0: all
};

struct Detection {
  int64_t query = 0;  // index into text queries, then exemplars
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
  // Loads an owlvit or owlv2 checkpoint directory with its tokenizer and image processor.
  static std::unique_ptr<Detector> open(const std::string& dir);

  // Queries are text_queries (labels = the texts) followed by exemplars. At least one
  // query is needed; empty texts and exemplar boxes outside their image are errors.
  DetectResult detect(const image::Image& target, const std::vector<std::string>& text_queries,
                      const std::vector<Exemplar>& exemplars = {}, const DetectOptions& opts = {});

  // Exemplar -> its query embedding [E] (transformers' embed_image_query for one box).
  at::Tensor exemplar_embedding(const Exemplar& ex);
  // Image -> pixel_values [1, 3, S, S] as the checkpoint's processor makes them.
  at::Tensor pixel_values(const image::Image& im) const;

  bool square_padded() const { return model_->cfg.objectness; }  // OWLv2 boxes are relative to the padded square
  models::owlvit::OwlViTForObjectDetection& model() { return model_; }
  TextQueryEncoder& text_queries() { return *queries_; }

 private:
  Detector(models::owlvit::OwlViTForObjectDetection model, image::ImageProcessorConfig pp,
           std::unique_ptr<TextQueryEncoder> queries);
  models::owlvit::OwlViTForObjectDetection model_;
  image::ImageProcessorConfig preprocessor_;
  std::unique_ptr<TextQueryEncoder> queries_;
};

}  // namespace argus::tasks
