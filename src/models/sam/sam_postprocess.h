// SAM prompt geometry and mask post-processing (transformers' SamProcessor /
// SamImageProcessor.post_process_masks), on tensors.
#pragma once
#include <ATen/ATen.h>

namespace argus::models::sam {

struct ImageGeometry {
  int64_t original_height = 0, original_width = 0;  // decoded image
  int64_t resized_height = 0, resized_width = 0;    // after the longest-edge resize, before padding
};

// SAM's resize rule: scale = longest_edge / max(h, w), each side int(side * scale + 0.5).
ImageGeometry sam_geometry(int64_t original_height, int64_t original_width, int64_t longest_edge = 1024);

// Prompt coordinates from original-image pixels to the model's 1024-space, as
// SamProcessor does: x * (resized_w / original_w), y * (resized_h / original_h), in
// float64. `coords` has x, y pairs in its last dim: points [..., 2] or boxes [..., 4].
at::Tensor rescale_prompt_coords(const at::Tensor& coords, const ImageGeometry& g);

// Low-res mask logits [..., h, w] (256x256) -> bilinear (align_corners false) to
// pad_size x pad_size -> crop to the resized size -> bilinear to the original size ->
// `> threshold` when `binarize` (bool), else the float logits. Leading dims are kept.
at::Tensor post_process_masks(const at::Tensor& low_res_masks, const ImageGeometry& g, int64_t pad_size = 1024,
                              double threshold = 0.0, bool binarize = true);

}  // namespace argus::models::sam
