#include "tasks/detect/owl_detector.h"

#include <algorithm>
#include <cmath>

#include "engine/model_kind.h"
#include "image/preprocess.h"
#include "io/checkpoint.h"
#include "models/owlvit/owlvit_postprocess.h"
#include "util/error.h"

namespace argus::tasks {

namespace {

// OWLv2 pads to a square of the longest side in float32 before resizing: bound that
// buffer (3 x side^2 floats) so an absurdly elongated image is an error, not an OOM.
constexpr int kMaxOwlv2Side = 8192;

}  // namespace

OwlDetector::OwlDetector(models::owlvit::OwlViTForObjectDetection model, image::ImageProcessorConfig pp,
                   std::unique_ptr<TextQueryEncoder> queries)
    : model_(std::move(model)), preprocessor_(std::move(pp)), queries_(std::move(queries)) {}

std::unique_ptr<OwlDetector> OwlDetector::open(const std::string& dir) {
  auto ck = io::Checkpoint::open(dir);
  auto kind = engine::model_kind(ck);
  if (kind.family != engine::Family::OwlVit && kind.family != engine::Family::Owlv2)
    fail("{}: model_type \"{}\" is not an OWL-ViT or OWLv2 checkpoint", dir, kind.model_type);
  auto model = models::owlvit::load_owlvit_model(ck);
  auto pp = image::load_image_processor_config(dir);
  auto tokenizer = text::load_tokenizer(dir);
  int64_t pad = tokenizer->pad_id() >= 0 ? tokenizer->pad_id() : model->cfg.text.pad_token_id;
  models::owlvit::OwlViTModel base = model->base;
  auto tower = [base](const at::Tensor& ids, const at::Tensor& mask) mutable { return base->text_embeds(ids, mask); };
  auto queries = std::make_unique<TextQueryEncoder>(std::move(tokenizer), tower,
                                                    model->cfg.text.max_position_embeddings, pad);
  return std::unique_ptr<OwlDetector>(new OwlDetector(std::move(model), std::move(pp), std::move(queries)));
}

at::Tensor OwlDetector::pixel_values(const image::Image& im) const {
  if (square_padded() && std::max(im.width, im.height) > kMaxOwlv2Side)
    fail("image {}x{} is too large for OWLv2, which pads it to a square: the longest side may be at most {}",
         im.width, im.height, kMaxOwlv2Side);
  image::PixelValues pv = image::preprocess(im, preprocessor_);
  return at::from_blob(pv.data.data(), {1, pv.channels, pv.height, pv.width}, at::kFloat).clone();
}

at::Tensor OwlDetector::image_features(const image::Image& im) {
  const std::string key = image::content_key(im);
  if (auto hit = feature_cache_.get(key)) {
    ++cache_hits_;
    return *hit;
  }
  at::NoGradGuard ng;
  auto feats = std::make_shared<const at::Tensor>(model_->image_features(pixel_values(im)));
  feature_cache_.put(key, feats);
  return *feats;
}

at::Tensor OwlDetector::exemplar_embedding(const Exemplar& ex) {
  const auto& b = ex.box;
  const float w = static_cast<float>(ex.image.width), h = static_cast<float>(ex.image.height);
  bool finite = std::all_of(b.begin(), b.end(), [](float v) { return std::isfinite(v); });
  if (!finite || b[0] < 0 || b[1] < 0 || b[2] > w || b[3] > h)
    fail("exemplar box {},{},{},{} lies outside the exemplar image ({}x{} pixels)", b[0], b[1], b[2], b[3],
         ex.image.width, ex.image.height);
  if (!(b[0] < b[2]) || !(b[1] < b[3]))
    fail("exemplar box {},{},{},{} is empty: it needs x0 < x1 and y0 < y1", b[0], b[1], b[2], b[3]);
  // The model's predicted boxes are relative to its input: the stretched image (OWL-ViT)
  // or the padded square (OWLv2), so normalise the exemplar box the same way.
  const float sx = square_padded() ? std::max(w, h) : w, sy = square_padded() ? std::max(w, h) : h;
  at::Tensor box = at::tensor({b[0] / sx, b[1] / sy, b[2] / sx, b[3] / sy}).view({1, 1, 4});
  at::NoGradGuard ng;
  at::Tensor feats = image_features(ex.image);
  at::Tensor embeds, indices, pred_boxes;
  model_->embed_image_query(feats, box, embeds, indices, pred_boxes);
  return embeds[0][0];
}

DetectResult OwlDetector::detect(const image::Image& target, const std::vector<std::string>& text_queries,
                              const std::vector<Exemplar>& exemplars, const DetectOptions& opts) {
  check_detect_request(text_queries.size(), exemplars.size(), opts);

  DetectResult res;
  res.width = target.width;
  res.height = target.height;
  std::vector<at::Tensor> parts;
  std::vector<std::string> labels = text_queries;
  if (!text_queries.empty()) parts.push_back(queries_->embed(text_queries, &res.warnings));
  for (const auto& ex : exemplars) {
    parts.push_back(exemplar_embedding(ex).unsqueeze(0));
    labels.push_back(ex.label);
  }
  at::Tensor query_embeds = at::cat(parts).unsqueeze(0);  // [1, Q, E]

  at::NoGradGuard ng;
  at::Tensor feats = image_features(target);
  auto cls = model_->class_head(feats, query_embeds, at::Tensor());
  at::Tensor boxes = model_->box_predictor(feats);

  models::owlvit::DetectionOptions po;
  po.threshold = opts.threshold.value_or(kDefaultThreshold);
  po.nms_iou = opts.nms_iou.value_or(kDefaultNmsIou);
  po.class_agnostic = opts.class_agnostic;
  po.top_k = opts.top_k.value_or(-1);
  po.square_padded = square_padded();
  auto dets = models::owlvit::post_process_detection(cls.logits, boxes, {{target.width, target.height}}, po)[0];

  at::Tensor s = dets.scores.contiguous(), l = dets.labels.contiguous(), b = dets.boxes.contiguous();
  for (int64_t i = 0; i < s.size(0); ++i) {
    Detection d;
    d.query = l[i].item<int64_t>();
    d.label = labels.at(static_cast<size_t>(d.query));
    d.score = s[i].item<float>();
    for (int k = 0; k < 4; ++k) d.box[k] = b[i][k].item<float>();
    res.detections.push_back(std::move(d));
  }
  return res;
}

}  // namespace argus::tasks
