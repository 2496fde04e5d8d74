#include "models/sam/sam_model.h"

#include <algorithm>
#include <cmath>

#include "io/checkpoint.h"
#include "nn/attention.h"
#include "nn/inference.h"
#include "nn/load.h"
#include "util/error.h"

namespace argus::models::sam {

namespace {

torch::nn::LayerNorm layer_norm(int64_t dim, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps));
}

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, bool bias) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias));
}

std::string shape_str(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// [N, L, H*D] -> [N, H, L, D] and back (inputs need not be contiguous).
at::Tensor separate_heads(const at::Tensor& x, int64_t heads) {
  return x.reshape({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}

// transformers' get_rel_pos: the relative position table resized (linear) to
// 2 * max(q, k) - 1 entries, then gathered at each (query, key) offset -> [q, k, C].
at::Tensor get_rel_pos(int64_t q_size, int64_t k_size, const at::Tensor& rel_pos) {
  int64_t max_rel_dist = 2 * std::max(q_size, k_size) - 1;
  at::Tensor table = rel_pos;
  if (rel_pos.size(0) != max_rel_dist) {
    at::Tensor t = rel_pos.reshape({1, rel_pos.size(0), -1}).permute({0, 2, 1});
    t = at::upsample_linear1d(t, {max_rel_dist}, false);
    table = t.reshape({-1, max_rel_dist}).permute({1, 0});
  }
  double qs = std::max(static_cast<double>(k_size) / q_size, 1.0);
  double ks = std::max(static_cast<double>(q_size) / k_size, 1.0);
  auto dbl = at::TensorOptions().dtype(at::kDouble);
  at::Tensor q_coords = at::arange(q_size, dbl).unsqueeze(1) * qs;
  at::Tensor k_coords = at::arange(k_size, dbl).unsqueeze(0) * ks;
  at::Tensor rel = (q_coords - k_coords) + (k_size - 1) * ks;
  return table.index({rel.to(at::kLong)});
}

}  // namespace

// ---------------------------------------------------------------- shared blocks

LayerNorm2dImpl::LayerNorm2dImpl(int64_t channels, double eps_) : eps(eps_) {
  weight = register_parameter("weight", at::ones({channels}));
  bias = register_parameter("bias", at::zeros({channels}));
}

at::Tensor LayerNorm2dImpl::forward(const at::Tensor& x) {
  at::Tensor h = at::layer_norm(x.permute({0, 2, 3, 1}), {weight.size(0)}, weight, bias, eps);
  return h.permute({0, 3, 1, 2});
}

SamMlpImpl::SamMlpImpl(int64_t hidden, int64_t mlp_dim, const std::string& act_name)
    : act(nn::activation(act_name)) {
  lin1 = register_module("lin1", nn::dense(hidden, mlp_dim));
  lin2 = register_module("lin2", nn::dense(mlp_dim, hidden));
}

at::Tensor SamMlpImpl::forward(const at::Tensor& x) { return lin2(act(lin1(x))); }

// ---------------------------------------------------------------- vision encoder

SamPatchEmbedImpl::SamPatchEmbedImpl(const SamVisionConfig& c) {
  projection = register_module("projection", conv(c.num_channels, c.hidden_size, c.patch_size, c.patch_size, 0, true));
}

at::Tensor SamPatchEmbedImpl::forward(const at::Tensor& pixel_values) {
  return projection(pixel_values).permute({0, 2, 3, 1});
}

SamVisionAttentionImpl::SamVisionAttentionImpl(const SamVisionConfig& c, int64_t window_size)
    : heads(c.num_attention_heads), use_rel_pos(c.use_rel_pos) {
  int64_t head_dim = c.hidden_size / c.num_attention_heads;
  scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  qkv = register_module("qkv", nn::dense(c.hidden_size, 3 * c.hidden_size, c.qkv_bias));
  proj = register_module("proj", nn::dense(c.hidden_size, c.hidden_size));
  if (use_rel_pos) {
    int64_t size = window_size == 0 ? c.grid() : window_size;
    rel_pos_h = register_parameter("rel_pos_h", at::zeros({2 * size - 1, head_dim}));
    rel_pos_w = register_parameter("rel_pos_w", at::zeros({2 * size - 1, head_dim}));
  }
}

at::Tensor SamVisionAttentionImpl::forward(const at::Tensor& x) {
  const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3), hw = h * w;
  at::Tensor parts = qkv(x).reshape({b, hw, 3, heads, -1}).permute({2, 0, 3, 1, 4}).reshape({3, b * heads, hw, -1});
  at::Tensor q = parts[0], k = parts[1], v = parts[2];
  at::Tensor attn = at::matmul(q * scale, k.transpose(-2, -1));  // [b*heads, hw, hw]
  if (use_rel_pos) {
    at::Tensor rh = get_rel_pos(h, h, rel_pos_h), rw = get_rel_pos(w, w, rel_pos_w);
    at::Tensor rq = q.reshape({b * heads, h, w, -1});
    at::Tensor rel_h = at::einsum("bhwc,hkc->bhwk", {rq, rh});
    at::Tensor rel_w = at::einsum("bhwc,wkc->bhwk", {rq, rw});
    attn = (attn.view({b * heads, h, w, h, w}) + rel_h.unsqueeze(4) + rel_w.unsqueeze(3)).view({b * heads, hw, hw});
  }
  attn = at::softmax(attn, -1, at::kFloat).to(q.scalar_type());
  at::Tensor out = at::matmul(attn, v).reshape({b, heads, h, w, -1}).permute({0, 2, 3, 1, 4}).reshape({b, h, w, c});
  return proj(out);
}

SamVisionLayerImpl::SamVisionLayerImpl(const SamVisionConfig& c, int64_t window_size_) : window_size(window_size_) {
  layer_norm1 = register_module("layer_norm1", layer_norm(c.hidden_size, c.layer_norm_eps));
  attn = register_module("attn", SamVisionAttention(c, window_size));
  layer_norm2 = register_module("layer_norm2", layer_norm(c.hidden_size, c.layer_norm_eps));
  mlp = register_module("mlp", SamMlp(c.hidden_size, c.mlp_dim, c.hidden_act));
}

at::Tensor SamVisionLayerImpl::forward(const at::Tensor& x) {
  at::Tensor h = layer_norm1(x);
  const int64_t b = x.size(0), height = x.size(1), width = x.size(2), ch = x.size(3);
  if (window_size > 0) {
    const int64_t ws = window_size;
    int64_t pad_h = (ws - height % ws) % ws, pad_w = (ws - width % ws) % ws;
    if (pad_h > 0 || pad_w > 0) h = at::constant_pad_nd(h, {0, 0, 0, pad_w, 0, pad_h}, 0.0);
    int64_t hp = height + pad_h, wp = width + pad_w;
    h = h.reshape({b, hp / ws, ws, wp / ws, ws, ch}).permute({0, 1, 3, 2, 4, 5}).contiguous().reshape({-1, ws, ws, ch});
    h = attn(h);
    h = h.reshape({b, hp / ws, wp / ws, ws, ws, ch}).permute({0, 1, 3, 2, 4, 5}).contiguous().reshape({b, hp, wp, ch});
    h = h.slice(1, 0, height).slice(2, 0, width);
  } else {
    h = attn(h);
  }
  h = x + h;
  return h + mlp(layer_norm2(h));
}

SamVisionNeckImpl::SamVisionNeckImpl(const SamVisionConfig& c) {
  conv1 = register_module("conv1", conv(c.hidden_size, c.output_channels, 1, 1, 0, false));
  layer_norm1 = register_module("layer_norm1", LayerNorm2d(c.output_channels, 1e-6));
  conv2 = register_module("conv2", conv(c.output_channels, c.output_channels, 3, 1, 1, false));
  layer_norm2 = register_module("layer_norm2", LayerNorm2d(c.output_channels, 1e-6));
}

at::Tensor SamVisionNeckImpl::forward(const at::Tensor& x) {
  at::Tensor h = layer_norm1(conv1(x.permute({0, 3, 1, 2})));
  return layer_norm2(conv2(h));
}

SamVisionEncoderImpl::SamVisionEncoderImpl(const SamVisionConfig& c) : cfg(c) {
  patch_embed = register_module("patch_embed", SamPatchEmbed(c));
  if (c.use_abs_pos) pos_embed = register_parameter("pos_embed", at::zeros({1, c.grid(), c.grid(), c.hidden_size}));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    bool global = std::find(c.global_attn_indexes.begin(), c.global_attn_indexes.end(), i) != c.global_attn_indexes.end();
    layers->push_back(SamVisionLayer(c, global ? 0 : c.window_size));
  }
  neck = register_module("neck", SamVisionNeck(c));
}

at::Tensor SamVisionEncoderImpl::forward(const at::Tensor& pixel_values) {
  if (pixel_values.dim() != 4 || pixel_values.size(1) != cfg.num_channels || pixel_values.size(2) != cfg.image_size ||
      pixel_values.size(3) != cfg.image_size)
    fail("SAM pixel_values must be [B, {}, {}, {}] (resized and padded); got {}", cfg.num_channels, cfg.image_size,
         cfg.image_size, shape_str(pixel_values.sizes()));
  at::Tensor h = patch_embed(pixel_values.to(at::kFloat));
  if (pos_embed.defined()) h = h + pos_embed;
  for (size_t i = 0; i < layers->size(); ++i) h = layers[i]->as<SamVisionLayer>()->forward(h);
  return neck(h);
}

// ---------------------------------------------------------------- prompt encoder

SamPositionalEmbeddingImpl::SamPositionalEmbeddingImpl(int64_t num_pos_feats) {
  positional_embedding = register_buffer("positional_embedding", at::randn({2, num_pos_feats}));
}

at::Tensor SamPositionalEmbeddingImpl::forward(const at::Tensor& coords, int64_t size) {
  at::Tensor c = coords;
  if (size > 0) c = c / static_cast<double>(size);  // x / width, y / height of the square input
  c = 2 * c - 1;
  c = at::matmul(c.to(positional_embedding.scalar_type()), positional_embedding);
  c = c * (2 * M_PI);
  return at::cat({at::sin(c), at::cos(c)}, -1);
}

SamMaskEmbeddingImpl::SamMaskEmbeddingImpl(const SamPromptEncoderConfig& c) : act(nn::activation(c.hidden_act)) {
  int64_t quarter = c.mask_input_channels / 4;
  conv1 = register_module("conv1", conv(1, quarter, 2, 2, 0, true));
  conv2 = register_module("conv2", conv(quarter, c.mask_input_channels, 2, 2, 0, true));
  conv3 = register_module("conv3", conv(c.mask_input_channels, c.hidden_size, 1, 1, 0, true));
  layer_norm1 = register_module("layer_norm1", LayerNorm2d(quarter, c.layer_norm_eps));
  layer_norm2 = register_module("layer_norm2", LayerNorm2d(c.mask_input_channels, c.layer_norm_eps));
}

at::Tensor SamMaskEmbeddingImpl::forward(const at::Tensor& masks) {
  at::Tensor h = act(layer_norm1(conv1(masks)));
  h = act(layer_norm2(conv2(h)));
  return conv3(h);
}

SamPromptEncoderImpl::SamPromptEncoderImpl(const SamPromptEncoderConfig& c, SamPositionalEmbedding shared_)
    : cfg(c), shared(std::move(shared_)) {
  mask_embed = register_module("mask_embed", SamMaskEmbedding(c));
  no_mask_embed = register_module("no_mask_embed", torch::nn::Embedding(1, c.hidden_size));
  point_embed = register_module("point_embed", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_point_embeddings; ++i) point_embed->push_back(torch::nn::Embedding(1, c.hidden_size));
  not_a_point_embed = register_module("not_a_point_embed", torch::nn::Embedding(1, c.hidden_size));
}

at::Tensor SamPromptEncoderImpl::point_weight(int64_t i) { return point_embed[i]->as<torch::nn::Embedding>()->weight; }

std::pair<at::Tensor, at::Tensor> SamPromptEncoderImpl::forward(const at::Tensor& points, const at::Tensor& labels,
                                                                const at::Tensor& boxes, const at::Tensor& masks,
                                                                int64_t batch) {
  at::Tensor sparse;
  if (points.defined()) {
    // transformers' processor hands the model float64 prompts; the shift and the
    // normalisation happen in that precision before the cast to float32.
    at::Tensor pts = points.to(at::kDouble) + 0.5;
    at::Tensor lab = labels.to(at::kLong);
    if (!boxes.defined()) {  // a padding point (label -1) when no box follows
      pts = at::cat({pts, at::zeros({pts.size(0), pts.size(1), 1, 2}, pts.options())}, 2);
      lab = at::cat({lab, at::full({lab.size(0), lab.size(1), 1}, -1, lab.options())}, 2);
    }
    at::Tensor emb = shared(pts, cfg.image_size);
    at::Tensor l = lab.unsqueeze(-1);
    emb = at::where(l == -1, not_a_point_embed->weight, emb);
    emb = at::where(l == 0, emb + point_weight(0), emb);
    emb = at::where(l == 1, emb + point_weight(1), emb);
    sparse = emb;
  }
  if (boxes.defined()) {
    at::Tensor bx = (boxes.to(at::kDouble) + 0.5).reshape({boxes.size(0), boxes.size(1), 2, 2});
    at::Tensor corners = shared(bx, cfg.image_size);
    corners = at::cat({corners.slice(2, 0, 1) + point_weight(2), corners.slice(2, 1, 2) + point_weight(3)}, 2);
    sparse = sparse.defined() ? at::cat({sparse, corners}, 2) : corners;
  }
  at::Tensor dense;
  if (masks.defined()) {
    dense = mask_embed(masks.to(at::kFloat));
  } else {
    int64_t g = cfg.image_embedding_size;
    dense = no_mask_embed->weight.reshape({1, -1, 1, 1}).expand({batch, -1, g, g});
  }
  return {sparse, dense};
}

// ---------------------------------------------------------------- mask decoder

SamAttentionImpl::SamAttentionImpl(int64_t hidden, int64_t heads_, int64_t downsample_rate) : heads(heads_) {
  int64_t internal = hidden / downsample_rate;
  q_proj = register_module("q_proj", nn::dense(hidden, internal));
  k_proj = register_module("k_proj", nn::dense(hidden, internal));
  v_proj = register_module("v_proj", nn::dense(hidden, internal));
  out_proj = register_module("out_proj", nn::dense(internal, hidden));
}

at::Tensor SamAttentionImpl::forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  at::Tensor qh = separate_heads(q_proj(q), heads);
  at::Tensor kh = separate_heads(k_proj(k), heads);
  at::Tensor vh = separate_heads(v_proj(v), heads);
  double scale = 1.0 / std::sqrt(static_cast<double>(qh.size(-1)));
  return out_proj(nn::merge_heads(nn::attention(qh, kh, vh, at::Tensor(), scale)));
}

SamTwoWayBlockImpl::SamTwoWayBlockImpl(const SamMaskDecoderConfig& c, bool skip_pe) : skip_first_layer_pe(skip_pe) {
  self_attn = register_module("self_attn", SamAttention(c.hidden_size, c.num_attention_heads, 1));
  layer_norm1 = register_module("layer_norm1", layer_norm(c.hidden_size, c.layer_norm_eps));
  cross_attn_token_to_image = register_module(
      "cross_attn_token_to_image", SamAttention(c.hidden_size, c.num_attention_heads, c.attention_downsample_rate));
  layer_norm2 = register_module("layer_norm2", layer_norm(c.hidden_size, c.layer_norm_eps));
  mlp = register_module("mlp", SamMlp(c.hidden_size, c.mlp_dim, c.hidden_act));
  layer_norm3 = register_module("layer_norm3", layer_norm(c.hidden_size, c.layer_norm_eps));
  layer_norm4 = register_module("layer_norm4", layer_norm(c.hidden_size, c.layer_norm_eps));
  cross_attn_image_to_token = register_module(
      "cross_attn_image_to_token", SamAttention(c.hidden_size, c.num_attention_heads, c.attention_downsample_rate));
}

void SamTwoWayBlockImpl::forward(at::Tensor& queries, at::Tensor& keys, const at::Tensor& query_pe,
                                 const at::Tensor& key_pe) {
  if (skip_first_layer_pe) {
    queries = self_attn(queries, queries, queries);
  } else {
    at::Tensor q = queries + query_pe;
    queries = queries + self_attn(q, q, queries);
  }
  queries = layer_norm1(queries);

  at::Tensor q = queries + query_pe, k = keys + key_pe;
  queries = layer_norm2(queries + cross_attn_token_to_image(q, k, keys));

  queries = layer_norm3(queries + mlp(queries));

  q = queries + query_pe;
  k = keys + key_pe;
  keys = layer_norm4(keys + cross_attn_image_to_token(k, q, queries));
}

SamTwoWayTransformerImpl::SamTwoWayTransformerImpl(const SamMaskDecoderConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(SamTwoWayBlock(c, i == 0));
  final_attn_token_to_image = register_module(
      "final_attn_token_to_image", SamAttention(c.hidden_size, c.num_attention_heads, c.attention_downsample_rate));
  // nn.LayerNorm(hidden_size) in the reference: the default eps, not the config's.
  layer_norm_final_attn = register_module("layer_norm_final_attn", layer_norm(c.hidden_size, 1e-5));
}

std::pair<at::Tensor, at::Tensor> SamTwoWayTransformerImpl::forward(const at::Tensor& tokens, const at::Tensor& image,
                                                                    const at::Tensor& image_pe) {
  at::Tensor keys = image.flatten(2).permute({0, 2, 1});
  at::Tensor key_pe = image_pe.flatten(2).permute({0, 2, 1});
  at::Tensor queries = tokens;
  for (size_t i = 0; i < layers->size(); ++i)
    layers[i]->as<SamTwoWayBlock>()->forward(queries, keys, tokens, key_pe);
  at::Tensor q = queries + tokens, k = keys + key_pe;
  queries = layer_norm_final_attn(queries + final_attn_token_to_image(q, k, keys));
  return {queries, keys};
}

SamFeedForwardImpl::SamFeedForwardImpl(int64_t in, int64_t hidden, int64_t out, int64_t num_layers) {
  proj_in = register_module("proj_in", nn::dense(in, hidden));
  proj_out = register_module("proj_out", nn::dense(hidden, out));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_layers - 2; ++i) layers->push_back(nn::dense(hidden, hidden));
}

at::Tensor SamFeedForwardImpl::forward(const at::Tensor& x) {
  at::Tensor h = at::relu(proj_in(x));
  for (size_t i = 0; i < layers->size(); ++i) h = at::relu(layers[i]->as<nn::Dense>()->forward(h));
  return proj_out(h);
}

SamMaskDecoderImpl::SamMaskDecoderImpl(const SamMaskDecoderConfig& c)
    : cfg(c), num_mask_tokens(c.num_multimask_outputs + 1) {
  const int64_t hs = c.hidden_size;
  iou_token = register_module("iou_token", torch::nn::Embedding(1, hs));
  mask_tokens = register_module("mask_tokens", torch::nn::Embedding(num_mask_tokens, hs));
  transformer = register_module("transformer", SamTwoWayTransformer(c));
  upscale_conv1 = register_module(
      "upscale_conv1", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(hs, hs / 4, 2).stride(2)));
  upscale_conv2 = register_module(
      "upscale_conv2", torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(hs / 4, hs / 8, 2).stride(2)));
  upscale_layer_norm = register_module("upscale_layer_norm", LayerNorm2d(hs / 4, 1e-6));
  output_hypernetworks_mlps = register_module("output_hypernetworks_mlps", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_mask_tokens; ++i) output_hypernetworks_mlps->push_back(SamFeedForward(hs, hs, hs / 8, 3));
  iou_prediction_head =
      register_module("iou_prediction_head", SamFeedForward(hs, c.iou_head_hidden_dim, num_mask_tokens, c.iou_head_depth));
}

namespace {

// ConvTranspose2d with kernel 2 and stride 2 (SAM's upscaling) has no overlap: each
// input pixel becomes one 2x2 output block, so the whole layer is one GEMM. LibTorch's
// CPU kernel for it (slow_conv_transpose2d) takes several times longer.
at::Tensor conv_transpose_2x2(const at::Tensor& x, const torch::nn::ConvTranspose2d& conv) {
  const at::Tensor& wt = conv->weight;  // [Ci, Co, 2, 2]
  const int64_t b = x.size(0), ci = x.size(1), h = x.size(2), w = x.size(3), co = wt.size(1);
  at::Tensor y = at::matmul(x.permute({0, 2, 3, 1}).reshape({-1, ci}), wt.reshape({ci, co * 4}).to(x.scalar_type()));
  y = y.view({b, h, w, co, 2, 2}).permute({0, 3, 1, 4, 2, 5}).reshape({b, co, 2 * h, 2 * w});
  return conv->bias.defined() ? y + conv->bias.to(x.scalar_type()).view({1, -1, 1, 1}) : y;
}

}  // namespace

std::pair<at::Tensor, at::Tensor> SamMaskDecoderImpl::forward(const at::Tensor& image_embeddings,
                                                              const at::Tensor& image_pe, const at::Tensor& sparse,
                                                              const at::Tensor& dense, bool multimask) {
  const int64_t b = image_embeddings.size(0), c = image_embeddings.size(1), h = image_embeddings.size(2),
                w = image_embeddings.size(3);
  const int64_t p = sparse.defined() ? sparse.size(1) : 1;
  at::Tensor tokens = at::cat({iou_token->weight, mask_tokens->weight}, 0).repeat({b, p, 1, 1});
  if (sparse.defined()) tokens = at::cat({tokens, sparse.to(tokens.scalar_type())}, 2);
  const int64_t t = tokens.size(2);
  tokens = tokens.reshape({b * p, t, c});

  // One prompt per image (the interactive case) needs no copies of the 64x64 maps.
  at::Tensor src = image_embeddings + dense;
  at::Tensor pos = image_pe;
  if (p > 1) {
    src = src.repeat_interleave(p, 0);
    pos = pos.repeat_interleave(p, 0);
  }
  auto [hs, keys] = transformer(tokens, src, pos);
  at::Tensor iou_token_out = hs.select(1, 0);
  at::Tensor mask_tokens_out = hs.slice(1, 1, 1 + num_mask_tokens);

  src = keys.transpose(1, 2).reshape({b * p, c, h, w});
  at::Tensor up = at::gelu(upscale_layer_norm(conv_transpose_2x2(src, upscale_conv1)));
  up = at::gelu(conv_transpose_2x2(up, upscale_conv2));

  std::vector<at::Tensor> hyper;
  for (int64_t i = 0; i < num_mask_tokens; ++i)
    hyper.push_back(output_hypernetworks_mlps[i]->as<SamFeedForward>()->forward(mask_tokens_out.select(1, i)));
  at::Tensor hyper_in = at::stack(hyper, 1);  // [b*p, M, c/8]
  const int64_t uc = up.size(1), uh = up.size(2), uw = up.size(3);
  at::Tensor masks = at::matmul(hyper_in, up.reshape({b * p, uc, uh * uw})).reshape({b, p, num_mask_tokens, uh, uw});
  at::Tensor iou = iou_prediction_head(iou_token_out).reshape({b, p, num_mask_tokens});

  if (multimask) return {masks.slice(2, 1), iou.slice(2, 1)};
  return {masks.slice(2, 0, 1), iou.slice(2, 0, 1)};
}

// ---------------------------------------------------------------- model

SamModelImpl::SamModelImpl(const SamConfig& c) : cfg(c) {
  shared_image_embedding = register_module("shared_image_embedding", SamPositionalEmbedding(c.vision.num_pos_feats));
  vision_encoder = register_module("vision_encoder", SamVisionEncoder(c.vision));
  prompt_encoder = register_module("prompt_encoder", SamPromptEncoder(c.prompt, shared_image_embedding));
  mask_decoder = register_module("mask_decoder", SamMaskDecoder(c.decoder));
}

at::Tensor SamModelImpl::image_embeddings(const at::Tensor& pixel_values) { return vision_encoder(pixel_values); }

at::Tensor SamModelImpl::image_wide_positional_embeddings() {
  const int64_t g = cfg.prompt.image_embedding_size;
  at::Tensor grid = at::ones({g, g}, shared_image_embedding->positional_embedding.options());
  at::Tensor y = (grid.cumsum(0) - 0.5) / static_cast<double>(g);
  at::Tensor x = (grid.cumsum(1) - 0.5) / static_cast<double>(g);
  return shared_image_embedding(at::stack({x, y}, -1)).permute({2, 0, 1}).unsqueeze(0);
}

SamPrediction SamModelImpl::predict(const at::Tensor& image_embeddings, const at::Tensor& points_in,
                                    const at::Tensor& labels_in, const at::Tensor& boxes, const at::Tensor& mask_input,
                                    bool multimask) {
  const int64_t g = cfg.prompt.image_embedding_size, width = cfg.prompt.hidden_size;
  if (!image_embeddings.defined() || image_embeddings.dim() != 4 || image_embeddings.size(1) != width ||
      image_embeddings.size(2) != g || image_embeddings.size(3) != g)
    fail("SAM image_embeddings must be [B, {}, {}, {}]; got {}", width, g, g,
         image_embeddings.defined() ? shape_str(image_embeddings.sizes()) : std::string("none"));
  const int64_t batch = image_embeddings.size(0);

  at::Tensor points = points_in, labels = labels_in;
  if (points.defined()) {
    if (points.dim() == 3) points = points.unsqueeze(1);
    if (points.dim() != 4 || points.size(3) != 2 || points.size(0) != batch)
      fail("SAM points must be [B, N, 2] or [B, P, N, 2] with B = {} images; got {}", batch,
           shape_str(points_in.sizes()));
    if (!points.is_floating_point()) points = points.to(at::kDouble);
    if (!labels.defined()) {
      labels = at::ones({points.size(0), points.size(1), points.size(2)}, at::TensorOptions().dtype(at::kLong));
    } else {
      if (labels.dim() == 2 && points_in.dim() == 3) labels = labels.unsqueeze(1);
      if (labels.dim() != 3 || labels.sizes() != points.sizes().slice(0, 3))
        fail("SAM point labels must have the points' shape without the last dim ({}); got {}",
             shape_str(points.sizes().slice(0, 3)), shape_str(labels_in.sizes()));
      if (labels.is_floating_point() && !at::equal(labels, labels.round()))
        fail("SAM point labels must be integers 1 (foreground), 0 (background) or -1 (not a point)");
      labels = labels.to(at::kLong);
      at::Tensor bad = (labels != 1).logical_and(labels != 0).logical_and(labels != -1);
      if (bad.any().item<bool>())
        fail("SAM point label {} is not allowed: labels must be 1 (foreground), 0 (background) or -1 (not a point)",
             labels.masked_select(bad)[0].item<int64_t>());
    }
  } else if (labels.defined()) {
    fail("SAM point labels were given without points");
  }
  if (boxes.defined()) {
    if (boxes.dim() != 3 || boxes.size(2) != 4 || boxes.size(0) != batch)
      fail("SAM boxes must be [B, P, 4] (x1, y1, x2, y2) with B = {} images; got {}", batch, shape_str(boxes.sizes()));
    if (points.defined() && points.size(1) != boxes.size(1))
      fail("SAM needs as many boxes as point sets per image: {} point sets, {} boxes", points.size(1), boxes.size(1));
  }
  if (mask_input.defined()) {
    if (mask_input.dim() != 4 || mask_input.size(0) != batch || mask_input.size(1) != 1 ||
        mask_input.size(2) != 4 * g || mask_input.size(3) != 4 * g)
      fail("SAM mask_input must be [B, 1, {}, {}] with B = {}; got {}", 4 * g, 4 * g, batch,
           shape_str(mask_input.sizes()));
  }

  at::Tensor image_pe = image_wide_positional_embeddings().expand({batch, -1, -1, -1});
  auto [sparse, dense] = prompt_encoder(points, labels, boxes, mask_input, batch);
  auto [masks, iou] = mask_decoder(image_embeddings.to(at::kFloat), image_pe, sparse, dense, multimask);
  return {iou, masks};
}

SamModel load_sam_model(const io::Checkpoint& ck) {
  SamModel m(parse_config(ck.config()));
  nn::LoadOptions opts;
  // The prompt encoder's tied copy of shared_image_embedding, in exports that kept it.
  opts.ignore_suffixes = {"prompt_encoder.shared_embedding.positional_embedding"};
  nn::load_weights(*m, ck, opts);
  m->eval();
  nn::prepare_for_inference(*m);
  return m;
}

}  // namespace argus::models::sam
