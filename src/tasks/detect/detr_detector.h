// Closed-set detection with DETR: the checkpoint's own classes (config id2label, COCO's
// 91 ids for the released models), no queries. Post-processed as transformers'
// post_process_object_detection: each of the num_queries predictions scores its best
// class (softmax, no-object dropped) and is kept above the threshold (default 0.5);
// boxes are in the original image's pixels. No NMS unless asked for: set prediction
// already gives one box per object.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "image/processor_config.h"
#include "models/detr/detr_model.h"
#include "tasks/detect/detector.h"

namespace argus::tasks {

class DetrDetector : public Detector {
 public:
  static constexpr double kDefaultThreshold = 0.5;  // post_process_object_detection's default

  // Loads a detr checkpoint directory with its preprocessor_config.json (default:
  // DetrImageProcessor's, shortest edge 800, longest 1333, ImageNet mean/std).
  static std::unique_ptr<DetrDetector> open(const std::string& dir);

  bool closed_set() const override { return true; }

  // Text queries and exemplars are refused: DETR knows only its trained classes.
  DetectResult detect(const image::Image& target, const std::vector<std::string>& text_queries,
                      const std::vector<Exemplar>& exemplars = {}, const DetectOptions& opts = {}) override;
  // Several images in one forward pass, padded to the largest (pixel_mask marks each
  // image's own pixels); the results in the images' order.
  std::vector<DetectResult> detect_batch(const std::vector<image::Image>& images, const DetectOptions& opts = {});

  struct Inputs {
    at::Tensor pixel_values;  // [B, 3, H, W]: each image resized and normalised, zero-padded bottom/right
    at::Tensor pixel_mask;    // [B, H, W] int64: 1 on each image's resized extent
  };
  // As DetrImageProcessor(images, return_tensors="pt") makes them.
  Inputs inputs(const std::vector<image::Image>& images) const;

  models::detr::DetrForObjectDetection& model() { return model_; }

 private:
  DetrDetector(models::detr::DetrForObjectDetection model, image::ImageProcessorConfig pp);
  models::detr::DetrForObjectDetection model_;
  image::ImageProcessorConfig preprocessor_;
};

}  // namespace argus::tasks
