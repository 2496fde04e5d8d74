#include "models/detr/detr_postprocess.h"

namespace argus::models::detr {

std::vector<DetrDetection> post_process_object_detection(const at::Tensor& logits, const at::Tensor& pred_boxes,
                                                         double threshold, int target_height, int target_width) {
  at::Tensor prob = at::softmax(logits.to(at::kFloat), -1);
  auto [scores, labels] = prob.narrow(-1, 0, prob.size(-1) - 1).max(-1);
  at::Tensor b = pred_boxes.to(at::kFloat);
  at::Tensor cx = b.select(-1, 0), cy = b.select(-1, 1), w = b.select(-1, 2), h = b.select(-1, 3);
  const float W = static_cast<float>(target_width), H = static_cast<float>(target_height);
  at::Tensor corners = at::stack({(cx - 0.5 * w) * W, (cy - 0.5 * h) * H, (cx + 0.5 * w) * W, (cy + 0.5 * h) * H}, -1)
                           .contiguous();
  scores = scores.contiguous();
  labels = labels.contiguous();
  const float* s = scores.data_ptr<float>();
  const int64_t* l = labels.data_ptr<int64_t>();
  const float* c = corners.data_ptr<float>();
  std::vector<DetrDetection> out;
  // torch compares a float32 tensor with a Python float in float32: so does this.
  const auto t = static_cast<float>(threshold);
  for (int64_t q = 0; q < scores.size(0); ++q) {
    if (!(s[q] > t)) continue;
    DetrDetection d;
    d.query = q;
    d.label = l[q];
    d.score = s[q];
    for (int k = 0; k < 4; ++k) d.box[static_cast<size_t>(k)] = c[q * 4 + k];
    out.push_back(d);
  }
  return out;
}

}  // namespace argus::models::detr
