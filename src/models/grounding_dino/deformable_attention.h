// Multi-scale deformable attention (Deformable DETR), as transformers'
// GroundingDinoMultiscaleDeformableAttention computes it without the custom
// CUDA kernel: each query predicts, per head, level and point, an offset from
// its reference point and a weight; values are sampled bilinearly
// (grid_sample, align_corners=false, zeros outside) and summed by weight.
#pragma once
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "nn/dense.h"

namespace argus::models::grounding_dino {

using SpatialShapes = std::vector<std::pair<int64_t, int64_t>>;  // (height, width) per level, flattening order

// value [B, S, H, Dh] (S = Σ h·w); sampling_locations [B, Q, H, L, P, 2] in [0, 1] (x, y);
// attention_weights [B, Q, H, L, P] -> [B, Q, H*Dh].
at::Tensor multi_scale_deformable_attention(const at::Tensor& value, const SpatialShapes& shapes,
                                            const at::Tensor& sampling_locations,
                                            const at::Tensor& attention_weights);

struct MultiscaleDeformableAttentionImpl : torch::nn::Module {
  MultiscaleDeformableAttentionImpl(int64_t d_model, int64_t heads, int64_t levels, int64_t points);
  // hidden [B, Q, D] (queries; `pos` is added first when defined), source [B, S, D] (values),
  // source_valid [B, S] bool or undefined, reference_points [B, Q, L, 2] (points) or [.., 4] (boxes).
  at::Tensor forward(const at::Tensor& hidden, const at::Tensor& pos, const at::Tensor& source,
                     const at::Tensor& source_valid, const at::Tensor& reference_points,
                     const SpatialShapes& shapes);
  nn::Dense sampling_offsets{nullptr}, attention_weights{nullptr}, value_proj{nullptr}, output_proj{nullptr};
  int64_t d_model, heads, levels, points;
};
TORCH_MODULE(MultiscaleDeformableAttention);

}  // namespace argus::models::grounding_dino
