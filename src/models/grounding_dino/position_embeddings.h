// Grounding DINO's sine position embeddings.
#pragma once
#include <ATen/ATen.h>

namespace argus::models::grounding_dino {

// GroundingDinoSinePositionEmbedding for an unpadded feature map: [B, 2*half_dim, H, W],
// y features then x features, each interleaving sin/cos of (position / size * 2π) / T^(2⌊i/2⌋/half_dim).
at::Tensor sine_position_embedding_2d(int64_t batch, int64_t height, int64_t width, int64_t half_dim,
                                      double temperature);

// get_sine_pos_embed: each of the n coordinates of pos [..., n] (in [0, 1]) becomes
// num_pos_feats interleaved sin/cos features of (x * 2π) / T^(2⌊i/2⌋/num_pos_feats);
// with exchange_xy the first two coordinates' blocks swap places. -> [..., n * num_pos_feats]
at::Tensor sine_pos_embed(const at::Tensor& pos, int64_t num_pos_feats, double temperature, bool exchange_xy);

}  // namespace argus::models::grounding_dino
