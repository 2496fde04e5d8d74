// Rotary position embeddings (Llama family): the inverse frequencies of the
// rope types transformers calls default / linear / dynamic / llama3, read from
// either transformers-5 `rope_parameters` or the older `rope_theta` + `rope_scaling`.
#pragma once
#include <string>
#include <utility>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace argus::nn {

struct RopeConfig {
  std::string type = "default";  // default | linear | dynamic | llama3
  double theta = 10000.0;
  double factor = 1.0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  int64_t original_max_positions = 0;                    // llama3 / dynamic; 0 = max_position_embeddings
};

// Reads the rope keys of a decoder config.json. Unknown rope types and
// missing required parameters are argus::Error naming them.
RopeConfig parse_rope_config(const nlohmann::json& config);

class RotaryEmbedding {
 public:
  RotaryEmbedding() = default;
  RotaryEmbedding(const RopeConfig& cfg, int64_t head_dim, int64_t max_positions);
  // positions [B, L] (int) -> cos, sin [B, L, head_dim], float32.
  std::pair<at::Tensor, at::Tensor> cos_sin(const at::Tensor& positions) const;
  const at::Tensor& inv_freq() const { return inv_freq_; }
  const RopeConfig& config() const { return cfg_; }

 private:
  RopeConfig cfg_;
  int64_t dim_ = 0, max_positions_ = 0;
  at::Tensor inv_freq_;  // [head_dim / 2] float32
};

// Inverse frequencies [dim / 2] (float32) for `cfg`; `seq_len` matters only for
// dynamic NTK scaling (the longest sequence seen, positions + 1).
at::Tensor rope_inv_freq(const RopeConfig& cfg, int64_t dim, int64_t max_positions, int64_t seq_len = 0);

// x [B, H, L, D] rotated by cos/sin [B, L, D] (cast to x's dtype): x*cos + rotate_half(x)*sin.
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

}  // namespace argus::nn
