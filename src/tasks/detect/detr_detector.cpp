#include "tasks/detect/detr_detector.h"

#include <algorithm>

#include "engine/model_kind.h"
#include "image/preprocess.h"
#include "io/checkpoint.h"
#include "models/detr/detr_postprocess.h"
#include "tasks/detect/processor_or_default.h"
#include "util/error.h"

namespace argus::tasks {

namespace detr = models::detr;

namespace {
// One forward pass holds every image of the batch padded to the largest.
constexpr size_t kMaxBatch = 16;
}  // namespace

DetrDetector::DetrDetector(detr::DetrForObjectDetection model, image::ImageProcessorConfig pp)
    : model_(std::move(model)), preprocessor_(std::move(pp)) {}

std::unique_ptr<DetrDetector> DetrDetector::open(const std::string& dir) {
  auto ck = io::Checkpoint::open(dir);
  auto kind = engine::model_kind(ck);
  if (kind.family != engine::Family::Detr) fail("{}: model_type \"{}\" is not a DETR checkpoint", dir, kind.model_type);
  auto pp = processor_or_default(dir, "DetrImageProcessor");
  if (pp.kind != image::ProcessorKind::Detr)
    fail("{}: the image processor is {}, but DETR needs DetrImageProcessor (shortest/longest edge resize)", dir, pp.type);
  return std::unique_ptr<DetrDetector>(new DetrDetector(detr::load_detr_model(ck), std::move(pp)));
}

DetrDetector::Inputs DetrDetector::inputs(const std::vector<image::Image>& images) const {
  if (images.empty()) fail("DETR: no images to detect in");
  if (images.size() > kMaxBatch) fail("DETR: {} images is over the batch limit of {}", images.size(), kMaxBatch);
  std::vector<image::PixelValues> pvs;
  int height = 0, width = 0;
  for (const auto& im : images) {
    pvs.push_back(image::preprocess(im, preprocessor_));
    height = std::max(height, pvs.back().height);
    width = std::max(width, pvs.back().width);
  }
  const auto b = static_cast<int64_t>(images.size());
  Inputs in;
  in.pixel_values = at::zeros({b, 3, height, width}, at::kFloat);
  in.pixel_mask = at::zeros({b, height, width}, at::kLong);
  for (int64_t i = 0; i < b; ++i) {
    image::PixelValues& pv = pvs[static_cast<size_t>(i)];
    at::Tensor t = at::from_blob(pv.data.data(), {pv.channels, pv.height, pv.width}, at::kFloat);
    in.pixel_values[i].narrow(1, 0, pv.height).narrow(2, 0, pv.width).copy_(t);
    in.pixel_mask[i].narrow(0, 0, pv.height).narrow(1, 0, pv.width).fill_(1);
  }
  return in;
}

std::vector<DetectResult> DetrDetector::detect_batch(const std::vector<image::Image>& images, const DetectOptions& opts) {
  check_detect_options(opts);
  Inputs in = inputs(images);
  at::NoGradGuard ng;
  auto out = model_->forward(in.pixel_values, in.pixel_mask);
  DetectOptions filter = opts;
  filter.nms_iou = opts.nms_iou.value_or(-1);  // none unless asked for
  std::vector<DetectResult> results;
  for (size_t i = 0; i < images.size(); ++i) {
    const image::Image& im = images[i];
    DetectResult res;
    res.height = im.height;
    res.width = im.width;
    const auto idx = static_cast<int64_t>(i);
    for (const auto& d : detr::post_process_object_detection(out.logits[idx], out.pred_boxes[idx],
                                                             opts.threshold.value_or(kDefaultThreshold), im.height,
                                                             im.width)) {
      Detection det;
      det.query = d.label;
      det.label = model_->cfg.label(d.label);
      det.score = d.score;
      det.box = d.box;
      res.detections.push_back(std::move(det));
    }
    filter_detections(res.detections, filter);
    results.push_back(std::move(res));
  }
  return results;
}

DetectResult DetrDetector::detect(const image::Image& target, const std::vector<std::string>& text_queries,
                                  const std::vector<Exemplar>& exemplars, const DetectOptions& opts) {
  if (!text_queries.empty() || !exemplars.empty())
    fail("DETR is a closed-set detector: it finds the {} classes it was trained on and takes no queries or "
         "exemplars (use an OWL-ViT, OWLv2 or Grounding DINO checkpoint for open-vocabulary detection)",
         model_->cfg.num_labels());
  return std::move(detect_batch({target}, opts).front());
}

}  // namespace argus::tasks
