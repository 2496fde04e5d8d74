#include "nn/rope.h"

#include <cmath>

#include "io/json_file.h"
#include "util/error.h"

namespace argus::nn {

using io::get_or;

RopeConfig parse_rope_config(const nlohmann::json& config) {
  RopeConfig r;
  nlohmann::json params;  // the scaling parameters, in either spelling
  auto rp = config.is_object() ? config.find("rope_parameters") : config.end();
  if (config.is_object() && rp != config.end() && !rp->is_null()) {
    if (!rp->is_object()) fail("config key \"rope_parameters\" has the wrong type ({})", rp->dump());
    params = *rp;
    r.theta = get_or<double>(params, "rope_theta", get_or<double>(config, "rope_theta", r.theta));
  } else {
    r.theta = get_or<double>(config, "rope_theta", r.theta);
    auto rs = config.is_object() ? config.find("rope_scaling") : config.end();
    if (config.is_object() && rs != config.end() && !rs->is_null()) {
      if (!rs->is_object()) fail("config key \"rope_scaling\" has the wrong type ({})", rs->dump());
      params = *rs;
    }
  }
  if (params.is_object()) {
    r.type = get_or<std::string>(params, "rope_type", get_or<std::string>(params, "type", r.type));
    r.factor = get_or<double>(params, "factor", r.factor);
    r.low_freq_factor = get_or<double>(params, "low_freq_factor", r.low_freq_factor);
    r.high_freq_factor = get_or<double>(params, "high_freq_factor", r.high_freq_factor);
    r.original_max_positions = get_or<int64_t>(params, "original_max_position_embeddings", r.original_max_positions);
    double partial = get_or<double>(params, "partial_rotary_factor", 1.0);
    if (partial != 1.0) fail("rope: partial_rotary_factor {} is not supported", partial);
    if (r.type != "default" && !params.contains("factor"))
      fail("rope: rope_type \"{}\" needs a \"factor\"", r.type);
  }
  if (get_or<double>(config, "partial_rotary_factor", 1.0) != 1.0)
    fail("rope: partial_rotary_factor {} is not supported", get_or<double>(config, "partial_rotary_factor", 1.0));
  if (r.type != "default" && r.type != "linear" && r.type != "dynamic" && r.type != "llama3")
    fail("rope: rope_type \"{}\" is not supported (default, linear, dynamic, llama3)", r.type);
  if (!(r.theta > 0)) fail("rope: rope_theta must be positive, got {}", r.theta);
  if (!(r.factor > 0)) fail("rope: factor must be positive, got {}", r.factor);
  if (r.type == "llama3") {
    if (!params.contains("original_max_position_embeddings"))
      fail("rope: rope_type \"llama3\" needs \"original_max_position_embeddings\"");
    if (!(r.high_freq_factor > r.low_freq_factor))
      fail("rope: llama3 high_freq_factor {} must exceed low_freq_factor {}", r.high_freq_factor, r.low_freq_factor);
  }
  return r;
}

namespace {

at::Tensor default_inv_freq(double base, int64_t dim) {
  // As transformers computes it: in float32, base ** (arange(0, dim, 2) / dim).
  at::Tensor exps = at::arange(0, dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(dim);
  return 1.0 / at::pow(base, exps);
}

}  // namespace

at::Tensor rope_inv_freq(const RopeConfig& cfg, int64_t dim, int64_t max_positions, int64_t seq_len) {
  if (dim <= 0 || dim % 2 != 0) fail("rope: head_dim {} must be positive and even", dim);
  if (cfg.type == "default") return default_inv_freq(cfg.theta, dim);
  if (cfg.type == "linear") return default_inv_freq(cfg.theta, dim) / cfg.factor;
  if (cfg.type == "dynamic") {
    int64_t orig = cfg.original_max_positions > 0 ? cfg.original_max_positions : max_positions;
    double len = seq_len > orig ? static_cast<double>(seq_len) : static_cast<double>(orig);
    double base = cfg.theta * std::pow(cfg.factor * len / orig - (cfg.factor - 1),
                                       static_cast<double>(dim) / static_cast<double>(dim - 2));
    return default_inv_freq(base, dim);
  }
  if (cfg.type == "llama3") {
    at::Tensor inv = default_inv_freq(cfg.theta, dim);
    double old_len = static_cast<double>(cfg.original_max_positions);
    double low_wavelen = old_len / cfg.low_freq_factor, high_wavelen = old_len / cfg.high_freq_factor;
    at::Tensor wavelen = 2 * M_PI / inv;
    at::Tensor scaled = at::where(wavelen > low_wavelen, inv / cfg.factor, inv);
    at::Tensor smooth = (old_len / wavelen - cfg.low_freq_factor) / (cfg.high_freq_factor - cfg.low_freq_factor);
    at::Tensor smoothed = (1 - smooth) * scaled / cfg.factor + smooth * scaled;
    at::Tensor medium = (wavelen < high_wavelen).logical_not().logical_and((wavelen > low_wavelen).logical_not());
    return at::where(medium, smoothed, scaled);
  }
  fail("rope: rope_type \"{}\" is not supported", cfg.type);
}

RotaryEmbedding::RotaryEmbedding(const RopeConfig& cfg, int64_t head_dim, int64_t max_positions)
    : cfg_(cfg), dim_(head_dim), max_positions_(max_positions) {
  inv_freq_ = rope_inv_freq(cfg, head_dim, max_positions);
}

std::pair<at::Tensor, at::Tensor> RotaryEmbedding::cos_sin(const at::Tensor& positions) const {
  at::Tensor inv = inv_freq_;
  if (cfg_.type == "dynamic") {
    int64_t seq_len = positions.numel() ? positions.max().item<int64_t>() + 1 : 0;
    int64_t orig = cfg_.original_max_positions > 0 ? cfg_.original_max_positions : max_positions_;
    if (seq_len > orig) inv = rope_inv_freq(cfg_, dim_, max_positions_, seq_len);
  }
  at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * inv;  // [B, L, D/2]
  at::Tensor emb = at::cat({freqs, freqs}, -1);
  return {emb.cos(), emb.sin()};
}

at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  at::Tensor c = cos.unsqueeze(1).to(x.scalar_type()), s = sin.unsqueeze(1).to(x.scalar_type());
  int64_t half = x.size(-1) / 2;
  at::Tensor rotated = at::cat({x.slice(-1, half).neg(), x.slice(-1, 0, half)}, -1);
  return x * c + rotated * s;
}

}  // namespace argus::nn
