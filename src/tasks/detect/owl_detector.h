// Open-vocabulary detection with OWL-ViT / OWLv2: text queries and image exemplars
// (a box on another image) against one target image, post-processed as transformers
// does (score = sigmoid of the best query logit per patch, label = that query), then
// threshold, optional NMS and top-k, with boxes in the target's original pixels.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "image/processor_config.h"
#include "models/owlvit/owlvit_model.h"
#include "tasks/detect/detector.h"
#include "tasks/detect/text_query_encoder.h"
#include "util/lru_cache.h"

namespace argus::tasks {

class OwlDetector : public Detector {
 public:
  static constexpr double kDefaultThreshold = 0.1;  // transformers' post-processing default

  // Loads an owlvit or owlv2 checkpoint directory with its tokenizer and image processor.
  static std::unique_ptr<OwlDetector> open(const std::string& dir);

  DetectResult detect(const image::Image& target, const std::vector<std::string>& text_queries,
                      const std::vector<Exemplar>& exemplars = {}, const DetectOptions& opts = {}) override;

  // Exemplar -> its query embedding [E] (transformers' embed_image_query for one box).
  at::Tensor exemplar_embedding(const Exemplar& ex);
  // Image -> pixel_values [1, 3, S, S] as the checkpoint's processor makes them.
  at::Tensor pixel_values(const image::Image& im) const;
  // The image tower's output for an image, from a small cache keyed by its content: asking
  // one image several questions (referring expressions one by one, a chat about one
  // picture) runs the tower once.
  at::Tensor image_features(const image::Image& im);
  int64_t feature_cache_hits() const { return cache_hits_; }

  bool square_padded() const { return model_->cfg.objectness; }  // OWLv2 boxes are relative to the padded square
  models::owlvit::OwlViTForObjectDetection& model() { return model_; }
  TextQueryEncoder& text_queries() { return *queries_; }

 private:
  OwlDetector(models::owlvit::OwlViTForObjectDetection model, image::ImageProcessorConfig pp,
              std::unique_ptr<TextQueryEncoder> queries);
  models::owlvit::OwlViTForObjectDetection model_;
  image::ImageProcessorConfig preprocessor_;
  std::unique_ptr<TextQueryEncoder> queries_;
  LruCache<at::Tensor> feature_cache_{4};
  int64_t cache_hits_ = 0;
};

}  // namespace argus::tasks
