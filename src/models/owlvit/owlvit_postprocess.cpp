#include "models/owlvit/owlvit_postprocess.h"

#include <algorithm>

#include "util/error.h"

namespace argus::models::owlvit {

at::Tensor center_to_corners(const at::Tensor& boxes) {
  at::Tensor cx = boxes.select(-1, 0), cy = boxes.select(-1, 1), w = boxes.select(-1, 2), h = boxes.select(-1, 3);
  return at::stack({cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h}, -1);
}

namespace {

at::Tensor area(const at::Tensor& b) {
  return (b.select(-1, 2) - b.select(-1, 0)) * (b.select(-1, 3) - b.select(-1, 1));
}

// Intersection and union of a [N, 4] against b [M, 4] -> [N, M] each.
std::pair<at::Tensor, at::Tensor> inter_union(const at::Tensor& a, const at::Tensor& b) {
  at::Tensor lt = at::max(a.slice(-1, 0, 2).unsqueeze(1), b.slice(-1, 0, 2).unsqueeze(0));
  at::Tensor rb = at::min(a.slice(-1, 2, 4).unsqueeze(1), b.slice(-1, 2, 4).unsqueeze(0));
  at::Tensor wh = (rb - lt).clamp_min(0);
  at::Tensor inter = wh.select(-1, 0) * wh.select(-1, 1);
  at::Tensor uni = area(a).unsqueeze(1) + area(b).unsqueeze(0) - inter;
  return {inter, uni};
}

}  // namespace

at::Tensor box_iou(const at::Tensor& a, const at::Tensor& b) {
  auto [inter, uni] = inter_union(a, b);
  return inter / uni;
}

at::Tensor generalized_box_iou(const at::Tensor& a, const at::Tensor& b) {
  auto [inter, uni] = inter_union(a, b);
  at::Tensor iou = inter / uni;
  at::Tensor lt = at::min(a.slice(-1, 0, 2).unsqueeze(1), b.slice(-1, 0, 2).unsqueeze(0));
  at::Tensor rb = at::max(a.slice(-1, 2, 4).unsqueeze(1), b.slice(-1, 2, 4).unsqueeze(0));
  at::Tensor wh = (rb - lt).clamp_min(0);
  at::Tensor hull = wh.select(-1, 0) * wh.select(-1, 1);
  return iou - (hull - uni) / hull;
}

at::Tensor nms_by_label(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& labels,
                        double iou_threshold, bool class_agnostic) {
  at::Tensor kept;
  if (class_agnostic || scores.numel() == 0) {
    kept = nms(boxes, scores, iou_threshold);
  } else {
    std::vector<at::Tensor> parts;
    at::Tensor uniq = std::get<0>(at::_unique(labels));
    for (int64_t k = 0; k < uniq.numel(); ++k) {
      at::Tensor idx = (labels == uniq[k]).nonzero().select(1, 0);
      parts.push_back(idx.index_select(0, nms(boxes.index_select(0, idx), scores.index_select(0, idx), iou_threshold)));
    }
    kept = at::cat(parts);
  }
  return std::get<0>(kept.sort());
}

at::Tensor nms(const at::Tensor& boxes, const at::Tensor& scores, double iou_threshold) {
  int64_t n = scores.size(0);
  if (n == 0) return at::empty({0}, at::kLong);
  at::Tensor order = std::get<1>(scores.sort(/*stable=*/true, 0, /*descending=*/true));
  at::Tensor sorted = boxes.index_select(0, order).to(at::kFloat).contiguous();
  at::Tensor iou = box_iou(sorted, sorted).contiguous();
  auto acc = iou.accessor<float, 2>();
  std::vector<char> removed(n, 0);
  std::vector<int64_t> keep;
  auto ord = order.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) {
    if (removed[i]) continue;
    keep.push_back(ord[i]);
    for (int64_t j = i + 1; j < n; ++j)
      if (!removed[j] && acc[i][j] > iou_threshold) removed[j] = 1;
  }
  return at::tensor(keep, at::kLong);
}

std::vector<Detections> post_process_detection(const at::Tensor& logits, const at::Tensor& pred_boxes,
                                               const std::vector<ImageSize>& sizes, const DetectionOptions& opts) {
  if (logits.dim() != 3 || pred_boxes.dim() != 3 || pred_boxes.size(2) != 4 || logits.size(0) != pred_boxes.size(0) ||
      logits.size(1) != pred_boxes.size(1))
    fail("post-processing expects logits [B, P, Q] and pred_boxes [B, P, 4] for the same B and P");
  if (logits.size(2) == 0) fail("post-processing needs at least one query");
  if (static_cast<int64_t>(sizes.size()) != logits.size(0))
    fail("{} image sizes for a batch of {}", sizes.size(), logits.size(0));
  if (opts.nms_iou >= 1) fail("nms_iou {} must be below 1 (or negative for no NMS)", opts.nms_iou);

  auto [best, labels] = logits.to(at::kFloat).max(-1);
  at::Tensor scores = at::sigmoid(best);
  at::Tensor corners = center_to_corners(pred_boxes.to(at::kFloat));
  std::vector<Detections> results;
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto [w, h] = std::pair<int64_t, int64_t>{sizes[i].width, sizes[i].height};
    if (w <= 0 || h <= 0) fail("image size {}x{} is not positive", w, h);
    double sx = opts.square_padded ? std::max(w, h) : w, sy = opts.square_padded ? std::max(w, h) : h;
    at::Tensor scale = at::tensor({static_cast<float>(sx), static_cast<float>(sy), static_cast<float>(sx),
                                   static_cast<float>(sy)});
    at::Tensor s = scores[i], l = labels[i], b = corners[i] * scale;
    at::Tensor keep = (s > opts.threshold).nonzero().select(1, 0);
    s = s.index_select(0, keep);
    l = l.index_select(0, keep);
    b = b.index_select(0, keep);
    // Best first; a stable sort keeps patch order among ties.
    at::Tensor order = std::get<1>(s.sort(/*stable=*/true, 0, /*descending=*/true));
    s = s.index_select(0, order);
    l = l.index_select(0, order);
    b = b.index_select(0, order);
    if (opts.nms_iou >= 0 && s.numel() > 0) {
      at::Tensor kept = nms_by_label(b, s, l, opts.nms_iou, opts.class_agnostic);
      s = s.index_select(0, kept);
      l = l.index_select(0, kept);
      b = b.index_select(0, kept);
    }
    if (opts.top_k >= 0 && s.size(0) > opts.top_k) {
      s = s.slice(0, 0, opts.top_k);
      l = l.slice(0, 0, opts.top_k);
      b = b.slice(0, 0, opts.top_k);
    }
    results.push_back({s, l, b});
  }
  return results;
}

}  // namespace argus::models::owlvit
