#include "tasks/segment/prompt_masks.h"

namespace argus::tasks::segment {

std::vector<MaskRecord> segment_prompt(Segmenter& segmenter, const image::Image& img, const Prompt& prompt,
                                       bool multimask, Prompt* shown, std::vector<std::string>* notes) {
  Prompt checked = checked_prompt(prompt, img.height, img.width, notes);
  auto emb = segmenter.embed(img);
  auto pred = segmenter.predict(*emb, {checked}, multimask)[0];
  at::Tensor full = segmenter.full_masks(*emb, pred).to(at::kByte).contiguous();  // [M, H, W]
  std::vector<MaskRecord> masks;
  for (int64_t m = 0; m < full.size(0); ++m) {
    MaskRecord r = summarize_mask(full[m].data_ptr<uint8_t>(), img.height, img.width);
    r.iou_pred = pred.iou_pred[m].item<float>();
    masks.push_back(std::move(r));
  }
  if (shown) *shown = std::move(checked);
  return masks;
}

nlohmann::json masks_json(int height, int width, const std::vector<MaskRecord>& masks) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : masks)
    list.push_back({{"iou_pred", m.iou_pred},
                    {"area", m.area},
                    {"bbox", m.bbox},
                    {"rle", {{"size", {m.rle.height, m.rle.width}}, {"counts", m.rle.counts}}}});
  return {{"image_size", {height, width}}, {"masks", list}};
}

}  // namespace argus::tasks::segment
