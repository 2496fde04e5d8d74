// Interactive promptable segmentation with SAM: load a checkpoint with its image
// processor, encode each image once (embeddings cached by image content in a small
// LRU), then answer any number of prompts per image, batched through the mask decoder.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "image/image.h"
#include "image/processor_config.h"
#include "models/sam/sam_model.h"
#include "models/sam/sam_postprocess.h"
#include "util/lru_cache.h"
#include "tasks/segment/prompt.h"

namespace argus::tasks::segment {

// One encoded image.
struct ImageEmbedding {
  at::Tensor embeddings;                 // [1, C, g, g]
  models::sam::ImageGeometry geometry;  // original and resized sizes
};

// The answer to one prompt: M masks (3 with multimask, else 1), in the model's order.
struct Prediction {
  at::Tensor iou_pred;  // [M] float
  at::Tensor low_res;   // [M, 256, 256] logits: pass one back as Prompt::mask_input to refine
};

class Segmenter {
 public:
  // `dir` holds config.json (model_type "sam"), the weights and processor_config.json
  // (or preprocessor_config.json). The processor's padded size must be the encoder's.
  // A .pth file instead is one of Meta's original checkpoints (sam_vit_b_01ec64.pth…),
  // preprocessed as SamProcessor's defaults do.
  static std::unique_ptr<Segmenter> open(const std::string& dir, size_t cache_capacity = 4);
  // An already built model with its processor rules (benchmarks, tests).
  static std::unique_ptr<Segmenter> from_model(models::sam::SamModel model, image::ImageProcessorConfig processor,
                                               size_t cache_capacity = 4);

  // Encodes the image, or returns the cached embedding of identical pixels.
  std::shared_ptr<const ImageEmbedding> embed(const image::Image& img);

  // Prompts in original-image pixels (checked_prompt rules: clamped, bad ones refused).
  // Prompts of the same shape (point count, box or not, mask or not) share one decoder
  // call. Results are in prompt order.
  std::vector<Prediction> predict(const ImageEmbedding& e, const std::vector<Prompt>& prompts, bool multimask,
                                  std::vector<std::string>* notes = nullptr);

  // Binary masks [M, H, W] (bool) at the original image size, as post_process_masks.
  at::Tensor full_masks(const ImageEmbedding& e, const Prediction& p) const;

  models::sam::SamModel& model() { return model_; }
  const image::ImageProcessorConfig& processor() const { return processor_; }
  int64_t cache_hits() const { return hits_; }
  int64_t cache_misses() const { return misses_; }

 private:
  Segmenter(models::sam::SamModel m, image::ImageProcessorConfig p, size_t cache_capacity);
  models::sam::SamModel model_;
  image::ImageProcessorConfig processor_;
  LruCache<ImageEmbedding> cache_;
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace argus::tasks::segment
