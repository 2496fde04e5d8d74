#include "models/grounding_dino/position_embeddings.h"

#include <cmath>
#include <vector>

namespace argus::models::grounding_dino {

namespace {

at::Tensor dim_t(int64_t n, double temperature) {
  at::Tensor i = at::arange(n, at::kFloat);
  return at::pow(temperature, 2 * at::floor_divide(i, 2) / static_cast<double>(n));
}

// x [..., 1] already scaled -> [..., n] with sin at even and cos at odd features.
at::Tensor interleave_sin_cos(const at::Tensor& x) {
  at::Tensor s = x.slice(-1, 0, at::indexing::None, 2).sin();
  at::Tensor c = x.slice(-1, 1, at::indexing::None, 2).cos();
  return at::stack({s, c}, -1).flatten(-2);
}

}  // namespace

at::Tensor sine_position_embedding_2d(int64_t batch, int64_t height, int64_t width, int64_t half_dim,
                                      double temperature) {
  const double scale = 2 * M_PI, eps = 1e-6;
  // cumsum of an all-ones mask is 1..n; normalised by its last value (+eps) as the reference does.
  at::Tensor y = at::arange(1, height + 1, at::kFloat).view({height, 1}).expand({height, width});
  at::Tensor x = at::arange(1, width + 1, at::kFloat).view({1, width}).expand({height, width});
  y = y / (static_cast<float>(height) + eps) * scale;
  x = x / (static_cast<float>(width) + eps) * scale;
  at::Tensor d = dim_t(half_dim, temperature);
  at::Tensor px = interleave_sin_cos(x.unsqueeze(-1) / d);
  at::Tensor py = interleave_sin_cos(y.unsqueeze(-1) / d);
  return at::cat({py, px}, -1).permute({2, 0, 1}).unsqueeze(0).expand({batch, -1, -1, -1}).contiguous();
}

at::Tensor sine_pos_embed(const at::Tensor& pos, int64_t num_pos_feats, double temperature, bool exchange_xy) {
  const double scale = 2 * M_PI;
  at::Tensor d = dim_t(num_pos_feats, temperature);
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < pos.size(-1); ++i) parts.push_back(interleave_sin_cos(pos.narrow(-1, i, 1) * scale / d));
  if (exchange_xy && parts.size() >= 2) std::swap(parts[0], parts[1]);
  return at::cat(parts, -1);
}

}  // namespace argus::models::grounding_dino
