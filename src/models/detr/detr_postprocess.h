// transformers' DetrImageProcessor.post_process_object_detection for one image:
// softmax over the classes, the last ("no object") dropped, each query's best class and
// its probability, kept when above the threshold; boxes (cx, cy, w, h) in [0, 1] ->
// corners in the target size's pixels (not clipped).
#pragma once
#include <array>
#include <vector>

#include <ATen/ATen.h>

namespace argus::models::detr {

struct DetrDetection {
  int64_t query = 0;  // which of the num_queries predicted it
  int64_t label = 0;  // class id (config id2label)
  float score = 0;
  std::array<float, 4> box{};  // x0, y0, x1, y1
};

// logits [Q, num_labels + 1], pred_boxes [Q, 4]; in query order, as the reference.
std::vector<DetrDetection> post_process_object_detection(const at::Tensor& logits, const at::Tensor& pred_boxes,
                                                         double threshold, int target_height, int target_width);

}  // namespace argus::models::detr
