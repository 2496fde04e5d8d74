// Open-set detection with Grounding DINO: the text queries become one prompt of
// '.'-separated phrases ("a cat. a remote control."), as the model was trained; each
// predicted box is scored as transformers' post-processing does (best token
// probability) and labelled with the query whose phrase holds its most probable
// token. Queries that do not fit the text context (max_text_len tokens) go into
// further prompts, each a forward pass, so hundreds of queries stay bounded in memory.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "image/processor_config.h"
#include "models/grounding_dino/grounding_dino_model.h"
#include "tasks/detect/detector.h"
#include "text/tokenizer.h"

namespace argus::tasks {

class GroundingDinoDetector : public Detector {
 public:
  static constexpr double kDefaultThreshold = 0.25;  // transformers' box_threshold default

  // Loads a grounding-dino checkpoint directory: weights, its BERT WordPiece tokenizer
  // (tokenizer.json or vocab.txt) and preprocessor_config.json (defaults to
  // GroundingDinoImageProcessor's: shortest edge 800, longest 1333, ImageNet mean/std).
  static std::unique_ptr<GroundingDinoDetector> open(const std::string& dir);

  // Exemplars are refused: Grounding DINO has no image-guided mode.
  DetectResult detect(const image::Image& target, const std::vector<std::string>& text_queries,
                      const std::vector<Exemplar>& exemplars = {}, const DetectOptions& opts = {}) override;

  // One prompt: [CLS] q_i . q_i+1 . … [SEP], at most max_text_len ids.
  struct Prompt {
    std::vector<int64_t> ids;
    int64_t first_query = 0, n_queries = 0;
  };
  // Packs the queries into as few prompts as fit. A query containing '.' or '?' (the
  // phrase delimiters) or nothing is an error; one too long for a prompt on its own is
  // truncated and a warning naming it appended.
  std::vector<Prompt> prompts(const std::vector<std::string>& queries, std::vector<std::string>* warnings) const;

  at::Tensor pixel_values(const image::Image& im) const;  // [1, 3, H, W], H x W as the processor resizes
  models::grounding_dino::GroundingDinoForObjectDetection& model() { return model_; }

 private:
  GroundingDinoDetector(models::grounding_dino::GroundingDinoForObjectDetection model, image::ImageProcessorConfig pp,
                        std::unique_ptr<text::Tokenizer> tokenizer);
  models::grounding_dino::GroundingDinoForObjectDetection model_;
  image::ImageProcessorConfig preprocessor_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  int64_t dot_id_ = -1;
};

}  // namespace argus::tasks
