#include "tasks/ground/grounder.h"

#include <algorithm>

#include "tasks/ground/phrases.h"

namespace argus::tasks {

nlohmann::json to_json(const GroundResult& r) {
  nlohmann::json dets = nlohmann::json::array();
  for (const auto& o : r.objects) {
    nlohmann::json d = to_json(o.detection);
    d["rle"] = {{"size", {o.rle.height, o.rle.width}}, {"counts", o.rle.counts}};
    dets.push_back(std::move(d));
  }
  return {{"image_size", {r.height, r.width}}, {"detections", dets}};
}

GroundResult ground(Detector& detector, segment::Segmenter& segmenter, const image::Image& im,
                    const std::string& phrases, const DetectOptions& opts) {
  return segment_detections(segmenter, im, detector.detect(im, split_phrases(phrases), {}, opts));
}

GroundResult segment_detections(segment::Segmenter& segmenter, const image::Image& im, const DetectResult& det) {
  GroundResult res;
  res.height = im.height;
  res.width = im.width;
  res.warnings = det.warnings;
  if (det.detections.empty()) return res;

  // Boxes clipped to the image; those with no area left inside it get no prompt.
  std::vector<segment::Prompt> prompts;
  std::vector<int> prompt_of(det.detections.size(), -1);
  for (size_t i = 0; i < det.detections.size(); ++i) {
    const auto& b = det.detections[i].box;
    segment::Box box{std::clamp<double>(b[0], 0, im.width), std::clamp<double>(b[1], 0, im.height),
                     std::clamp<double>(b[2], 0, im.width), std::clamp<double>(b[3], 0, im.height)};
    if (!(box.x1 > box.x0 && box.y1 > box.y0)) continue;
    prompt_of[i] = static_cast<int>(prompts.size());
    segment::Prompt p;
    p.box = box;
    prompts.push_back(std::move(p));
  }
  std::vector<segment::Prediction> preds;
  std::shared_ptr<const segment::ImageEmbedding> emb;
  if (!prompts.empty()) {
    emb = segmenter.embed(im);
    preds = segmenter.predict(*emb, prompts, /*multimask=*/false);
  }
  // Masks are kept as RLE only: one full-size byte mask per detection would add up.
  std::vector<uint8_t> empty;
  for (size_t i = 0; i < det.detections.size(); ++i) {
    GroundedObject o;
    o.detection = det.detections[i];
    if (prompt_of[i] >= 0) {
      at::Tensor m = segmenter.full_masks(*emb, preds[static_cast<size_t>(prompt_of[i])])[0].to(at::kByte).contiguous();
      o.rle = image::rle_encode(m.data_ptr<uint8_t>(), im.height, im.width);
    } else {
      if (empty.empty()) empty.assign(static_cast<size_t>(im.height) * static_cast<size_t>(im.width), 0);
      o.rle = image::rle_encode(empty.data(), im.height, im.width);
    }
    res.objects.push_back(std::move(o));
  }
  return res;
}

}  // namespace argus::tasks
