#include "models/grounding_dino/deformable_attention.h"

#include "util/error.h"

namespace argus::models::grounding_dino {

at::Tensor multi_scale_deformable_attention(const at::Tensor& value, const SpatialShapes& shapes,
                                            const at::Tensor& sampling_locations,
                                            const at::Tensor& attention_weights) {
  auto b = value.size(0), heads = value.size(2), dh = value.size(3);
  auto q = sampling_locations.size(1), levels = sampling_locations.size(3), points = sampling_locations.size(4);
  at::Tensor grids = sampling_locations * 2 - 1;  // grid_sample wants [-1, 1]
  std::vector<at::Tensor> sampled;
  int64_t start = 0;
  for (int64_t l = 0; l < levels; ++l) {
    auto [h, w] = shapes[l];
    // [B, h*w, H, Dh] -> [B*H, Dh, h, w]
    at::Tensor v = value.narrow(1, start, h * w).flatten(2).transpose(1, 2).reshape({b * heads, dh, h, w});
    // [B, Q, H, P, 2] -> [B*H, Q, P, 2]
    at::Tensor g = grids.select(3, l).transpose(1, 2).flatten(0, 1);
    // interpolation 0 = bilinear, padding 0 = zeros
    sampled.push_back(at::grid_sampler_2d(v, g, 0, 0, false));  // [B*H, Dh, Q, P]
    start += h * w;
  }
  at::Tensor w = attention_weights.transpose(1, 2).reshape({b * heads, 1, q, levels * points});
  at::Tensor out = (at::stack(sampled, -2).flatten(-2) * w).sum(-1).view({b, heads * dh, q});
  return out.transpose(1, 2).contiguous();
}

MultiscaleDeformableAttentionImpl::MultiscaleDeformableAttentionImpl(int64_t d_model_, int64_t heads_,
                                                                     int64_t levels_, int64_t points_)
    : d_model(d_model_), heads(heads_), levels(levels_), points(points_) {
  sampling_offsets = register_module("sampling_offsets", nn::dense(d_model, heads * levels * points * 2));
  attention_weights = register_module("attention_weights", nn::dense(d_model, heads * levels * points));
  value_proj = register_module("value_proj", nn::dense(d_model, d_model));
  output_proj = register_module("output_proj", nn::dense(d_model, d_model));
}

at::Tensor MultiscaleDeformableAttentionImpl::forward(const at::Tensor& hidden_in, const at::Tensor& pos,
                                                      const at::Tensor& source, const at::Tensor& source_valid,
                                                      const at::Tensor& reference_points,
                                                      const SpatialShapes& shapes) {
  at::Tensor hidden = pos.defined() ? hidden_in + pos : hidden_in;
  auto b = hidden.size(0), q = hidden.size(1), s = source.size(1);
  int64_t total = 0;
  for (auto [h, w] : shapes) total += h * w;
  if (total != s || static_cast<int64_t>(shapes.size()) != levels)
    fail("grounding-dino: deformable attention got {} levels / {} positions for {} levels / {} positions",
         shapes.size(), s, levels, total);
  at::Tensor value = value_proj(source);
  if (source_valid.defined()) value = value.masked_fill(source_valid.logical_not().unsqueeze(-1), 0.0);
  value = value.view({b, s, heads, d_model / heads});
  at::Tensor offsets = sampling_offsets(hidden).view({b, q, heads, levels, points, 2});
  at::Tensor weights =
      at::softmax(attention_weights(hidden).view({b, q, heads, levels * points}), -1).view({b, q, heads, levels, points});
  at::Tensor locations;
  if (reference_points.size(-1) == 2) {
    // Offsets are in pixels of each level: normalise by (width, height).
    std::vector<float> norm;
    for (auto [h, w] : shapes) {
      norm.push_back(static_cast<float>(w));
      norm.push_back(static_cast<float>(h));
    }
    at::Tensor normalizer = at::tensor(norm).view({1, 1, 1, levels, 1, 2});
    locations = reference_points.view({b, q, 1, levels, 1, 2}) + offsets / normalizer;
  } else if (reference_points.size(-1) == 4) {
    // Offsets are relative to the reference box: half its size spread over the points.
    at::Tensor centre = reference_points.narrow(-1, 0, 2).view({b, q, 1, levels, 1, 2});
    at::Tensor size = reference_points.narrow(-1, 2, 2).view({b, q, 1, levels, 1, 2});
    locations = centre + offsets / static_cast<double>(points) * size * 0.5;
  } else {
    fail("grounding-dino: reference points must have 2 or 4 coordinates, got {}", reference_points.size(-1));
  }
  return output_proj(multi_scale_deformable_attention(value, shapes, locations, weights));
}

}  // namespace argus::models::grounding_dino
