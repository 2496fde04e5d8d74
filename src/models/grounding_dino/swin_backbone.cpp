#include "models/grounding_dino/swin_backbone.h"

#include <cmath>
#include <string>

#include "nn/vit_encoder.h"
#include "util/error.h"

namespace argus::models::grounding_dino {

namespace {

// nn.LayerNorm's default eps, which the Swin embeddings, patch merging and
// backbone output norms use regardless of config.layer_norm_eps.
constexpr double kTorchLayerNormEps = 1e-5;

// [B, H, W, C] -> [B * (H/ws) * (W/ws), ws, ws, C], windows in row-major order per image.
at::Tensor window_partition(const at::Tensor& x, int64_t ws) {
  auto b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  return x.reshape({b, h / ws, ws, w / ws, ws, c}).permute({0, 1, 3, 2, 4, 5}).reshape({-1, ws, ws, c});
}

at::Tensor window_reverse(const at::Tensor& windows, int64_t ws, int64_t h, int64_t w) {
  auto c = windows.size(-1);
  return windows.reshape({-1, h / ws, w / ws, ws, ws, c}).permute({0, 1, 3, 2, 4, 5}).reshape({-1, h, w, c});
}

// The shifted-window mask: after the cyclic shift, a window can hold pixels from
// up to 4 regions that were not adjacent in the image; tokens of different
// regions must not attend to each other (-100 before the softmax, as Swin does).
at::Tensor shifted_window_mask(int64_t h, int64_t w, int64_t ws, int64_t shift, at::ScalarType dtype) {
  at::Tensor img = at::zeros({1, h, w, 1}, at::TensorOptions().dtype(dtype));
  int64_t hb[4] = {0, h - ws, h - shift, h};
  int64_t wb[4] = {0, w - ws, w - shift, w};
  int64_t count = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      img.slice(1, hb[i], hb[i + 1]).slice(2, wb[j], wb[j + 1]).fill_(static_cast<double>(count));
      ++count;
    }
  at::Tensor mw = window_partition(img, ws).reshape({-1, ws * ws});
  at::Tensor diff = mw.unsqueeze(1) - mw.unsqueeze(2);
  return at::zeros_like(diff).masked_fill(diff.ne(0), -100.0);
}

}  // namespace

SwinPatchEmbeddingsImpl::SwinPatchEmbeddingsImpl(const SwinConfig& c) : patch_size(c.patch_size) {
  projection = register_module(
      "projection", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.num_channels, c.embed_dim, c.patch_size)
                                          .stride(c.patch_size)));
}

SwinEmbeddingsImpl::SwinEmbeddingsImpl(const SwinConfig& c) {
  patch_embeddings = register_module("patch_embeddings", SwinPatchEmbeddings(c));
  norm = register_module("norm", nn::layer_norm(c.embed_dim, kTorchLayerNormEps));
}

at::Tensor SwinEmbeddingsImpl::forward(const at::Tensor& pixel_values, int64_t& h, int64_t& w) {
  int64_t p = patch_embeddings->patch_size;
  int64_t pad_w = (p - pixel_values.size(3) % p) % p, pad_h = (p - pixel_values.size(2) % p) % p;
  at::Tensor x = (pad_w || pad_h) ? at::constant_pad_nd(pixel_values, {0, pad_w, 0, pad_h}) : pixel_values;
  x = patch_embeddings->projection(x);
  h = x.size(2);
  w = x.size(3);
  return norm(x.flatten(2).transpose(1, 2));
}

SwinSelfAttentionImpl::SwinSelfAttentionImpl(int64_t dim, int64_t heads_, int64_t window_, bool qkv_bias)
    : heads(heads_), window(window_) {
  query = register_module("query", nn::dense(dim, dim, qkv_bias));
  key = register_module("key", nn::dense(dim, dim, qkv_bias));
  value = register_module("value", nn::dense(dim, dim, qkv_bias));
  relative_position_bias_table =
      register_parameter("relative_position_bias_table", at::zeros({(2 * window - 1) * (2 * window - 1), heads}));
  // Pairwise relative offsets (dy, dx) inside a window, shifted to be non-negative
  // and flattened into the (2ws-1)² table.
  at::Tensor ys = at::arange(window).repeat_interleave(window), xs = at::arange(window).repeat({window});
  at::Tensor dy = ys.unsqueeze(1) - ys.unsqueeze(0) + (window - 1);
  at::Tensor dx = xs.unsqueeze(1) - xs.unsqueeze(0) + (window - 1);
  relative_position_index = dy * (2 * window - 1) + dx;
}

at::Tensor SwinSelfAttentionImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  auto bw = x.size(0), n = x.size(1), d = x.size(2), hd = d / heads;
  auto split = [&](const at::Tensor& t) { return t.reshape({bw, n, heads, hd}).permute({0, 2, 1, 3}); };
  at::Tensor q = split(query(x)), k = split(key(x)), v = split(value(x));
  at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(hd));
  at::Tensor bias = relative_position_bias_table.index_select(0, relative_position_index.reshape(-1))
                        .reshape({n, n, heads})
                        .permute({2, 0, 1});
  scores = scores + bias.unsqueeze(0);
  if (mask.defined()) {
    auto nw = mask.size(0);
    scores = (scores.reshape({bw / nw, nw, heads, n, n}) + mask.unsqueeze(1).unsqueeze(0)).reshape({bw, heads, n, n});
  }
  at::Tensor ctx = at::matmul(at::softmax(scores, -1), v);
  return ctx.permute({0, 2, 1, 3}).reshape({bw, n, d});
}

SwinAttentionImpl::SwinAttentionImpl(int64_t dim, int64_t heads, int64_t window, bool qkv_bias) {
  self = register_module("self", SwinSelfAttention(dim, heads, window, qkv_bias));
  output = register_module("output", SwinSelfOutput(dim));
}

SwinLayerImpl::SwinLayerImpl(const SwinConfig& c, int64_t dim, int64_t heads, int64_t shift_)
    : act(nn::activation(c.hidden_act)), window(c.window_size), shift(shift_) {
  int64_t hidden = static_cast<int64_t>(c.mlp_ratio * static_cast<double>(dim));
  layernorm_before = register_module("layernorm_before", nn::layer_norm(dim, c.layer_norm_eps));
  attention = register_module("attention", SwinAttention(dim, heads, c.window_size, c.qkv_bias));
  layernorm_after = register_module("layernorm_after", nn::layer_norm(dim, c.layer_norm_eps));
  intermediate = register_module("intermediate", SwinDense(dim, hidden));
  output = register_module("output", SwinDense(hidden, dim));
}

at::Tensor SwinLayerImpl::forward(const at::Tensor& x, int64_t h, int64_t w) {
  auto b = x.size(0), c = x.size(2);
  at::Tensor t = layernorm_before(x).reshape({b, h, w, c});
  int64_t pad_r = (window - w % window) % window, pad_b = (window - h % window) % window;
  if (pad_r || pad_b) t = at::constant_pad_nd(t, {0, 0, 0, pad_r, 0, pad_b});
  int64_t hp = h + pad_b, wp = w + pad_r;
  if (shift > 0) t = at::roll(t, {-shift, -shift}, {1, 2});
  at::Tensor windows = window_partition(t, window).reshape({-1, window * window, c});
  at::Tensor mask;
  if (shift > 0) mask = shifted_window_mask(hp, wp, window, shift, x.scalar_type());
  at::Tensor attn = attention->output->dense(attention->self(windows, mask));
  t = window_reverse(attn.reshape({-1, window, window, c}), window, hp, wp);
  if (shift > 0) t = at::roll(t, {shift, shift}, {1, 2});
  if (pad_r || pad_b) t = t.slice(1, 0, h).slice(2, 0, w);
  at::Tensor hs = x + t.reshape({b, h * w, c});
  return hs + output->dense(act(intermediate->dense(layernorm_after(hs))));
}

SwinPatchMergingImpl::SwinPatchMergingImpl(int64_t dim, double eps) {
  reduction = register_module("reduction", nn::dense(4 * dim, 2 * dim, false));
  norm = register_module("norm", nn::layer_norm(4 * dim, eps));
}

at::Tensor SwinPatchMergingImpl::forward(const at::Tensor& x, int64_t h, int64_t w) {
  auto b = x.size(0), c = x.size(2);
  at::Tensor t = x.reshape({b, h, w, c});
  if (h % 2 || w % 2) t = at::constant_pad_nd(t, {0, 0, 0, w % 2, 0, h % 2});
  // Order (0,0), (1,0), (0,1), (1,1) as (row, col) offsets: the checkpoint's reduction expects it.
  auto pick = [&](int64_t r, int64_t col) { return t.slice(1, r, at::indexing::None, 2).slice(2, col, at::indexing::None, 2); };
  at::Tensor cat = at::cat({pick(0, 0), pick(1, 0), pick(0, 1), pick(1, 1)}, -1).reshape({b, -1, 4 * c});
  return reduction(norm(cat));
}

SwinStageImpl::SwinStageImpl(const SwinConfig& c, int64_t index) {
  int64_t dim = c.channels_of(index + 1);
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.depths[index]; ++i)
    blocks->push_back(SwinLayer(c, dim, c.num_heads[index], i % 2 == 0 ? 0 : c.window_size / 2));
  if (index + 1 < c.num_stages())
    downsample = register_module("downsample", SwinPatchMerging(dim, kTorchLayerNormEps));
}

SwinEncoderImpl::SwinEncoderImpl(const SwinConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_stages(); ++i) layers->push_back(SwinStage(c, i));
}

SwinBackboneImpl::SwinBackboneImpl(const SwinConfig& c) : cfg(c) {
  embeddings = register_module("embeddings", SwinEmbeddings(c));
  encoder = register_module("encoder", SwinEncoder(c));
  hidden_states_norms = register_module("hidden_states_norms", torch::nn::ModuleDict());
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> norms;
  for (int64_t i : c.out_indices)
    norms.emplace_back(i == 0 ? "stem" : "stage" + std::to_string(i),
                       nn::layer_norm(c.channels_of(i), kTorchLayerNormEps).ptr());
  hidden_states_norms->update(norms);
}

std::vector<int64_t> SwinBackboneImpl::channels() const {
  std::vector<int64_t> out;
  for (int64_t i : cfg.out_indices) out.push_back(cfg.channels_of(i));
  return out;
}

std::vector<at::Tensor> SwinBackboneImpl::forward(const at::Tensor& pixel_values) {
  if (pixel_values.dim() != 4 || pixel_values.size(1) != cfg.num_channels)
    fail("grounding-dino: pixel_values must be [B, {}, H, W], got {} dimensions with {} channels", cfg.num_channels,
         pixel_values.dim(), pixel_values.dim() > 1 ? pixel_values.size(1) : 0);
  int64_t h = 0, w = 0;
  at::Tensor x = embeddings->forward(pixel_values, h, w);
  auto b = x.size(0);
  std::vector<at::Tensor> out;
  auto emit = [&](int64_t stage, const at::Tensor& tokens) {
    for (int64_t i : cfg.out_indices)
      if (i == stage) {
        std::string name = stage == 0 ? "stem" : "stage" + std::to_string(stage);
        auto norm = hidden_states_norms[name]->as<torch::nn::LayerNorm>();
        out.push_back(norm->forward(tokens).reshape({b, h, w, -1}).permute({0, 3, 1, 2}).contiguous());
      }
  };
  emit(0, x);
  for (int64_t s = 0; s < cfg.num_stages(); ++s) {
    auto stage = encoder->layers[s]->as<SwinStageImpl>();
    for (const auto& blk : *stage->blocks) x = blk->as<SwinLayerImpl>()->forward(x, h, w);
    emit(s + 1, x);
    if (stage->downsample) {
      x = stage->downsample(x, h, w);
      h = (h + 1) / 2;
      w = (w + 1) / 2;
    }
  }
  return out;
}

}  // namespace argus::models::grounding_dino
