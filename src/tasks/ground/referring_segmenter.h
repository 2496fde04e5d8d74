// Referring segmentation with CLIPSeg: one text prompt -> a logit map at the model's
// input resolution, upsampled (bilinear, align_corners false) to the original image and
// thresholded into a mask, returned as COCO RLE.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "image/image.h"
#include "image/mask_rle.h"
#include "image/processor_config.h"
#include "models/clipseg/clipseg_model.h"
#include "tasks/detect/text_query_encoder.h"

namespace argus::tasks {

struct RefSegResult {
  int height = 0, width = 0;  // original image
  at::Tensor logits;          // [S, S] at the model's input resolution
  std::vector<uint8_t> mask;  // row-major [height, width], 1 where sigmoid(logit) > threshold
  image::MaskRle rle;
  std::vector<std::string> warnings;  // e.g. a truncated prompt
};

class ReferringSegmenter {
 public:
  // Loads a clipseg checkpoint directory with its tokenizer and image processor.
  static std::unique_ptr<ReferringSegmenter> open(const std::string& dir);

  // threshold is on the probability, in (0, 1); 0.5 means logit > 0.
  RefSegResult segment(const image::Image& im, const std::string& prompt, double threshold = 0.5);

  models::clipseg::ClipSegForImageSegmentation& model() { return model_; }

 private:
  ReferringSegmenter(models::clipseg::ClipSegForImageSegmentation m, image::ImageProcessorConfig pp,
                     std::unique_ptr<TextQueryEncoder> prompts);
  models::clipseg::ClipSegForImageSegmentation model_;
  image::ImageProcessorConfig preprocessor_;
  std::unique_ptr<TextQueryEncoder> prompts_;  // caches prompt embeddings like detection's queries
};

}  // namespace argus::tasks
