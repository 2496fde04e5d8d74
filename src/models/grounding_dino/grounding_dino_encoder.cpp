#include "models/grounding_dino/grounding_dino_encoder.h"

#include <cmath>
#include <limits>

#include "models/grounding_dino/position_embeddings.h"
#include "nn/vit_encoder.h"

namespace argus::models::grounding_dino {

namespace {
constexpr float kLowest = -std::numeric_limits<float>::max();
}

TextEnhancerLayerImpl::TextEnhancerLayerImpl(const GroundingDinoConfig& c) : act(nn::activation(c.activation_function)) {
  self_attn = register_module("self_attn", MultiheadAttention(c.d_model, c.encoder_attention_heads / 2));
  fc1 = register_module("fc1", nn::dense(c.d_model, c.encoder_ffn_dim / 2));
  fc2 = register_module("fc2", nn::dense(c.encoder_ffn_dim / 2, c.d_model));
  layer_norm_before = register_module("layer_norm_before", nn::layer_norm(c.d_model, c.layer_norm_eps));
  layer_norm_after = register_module("layer_norm_after", nn::layer_norm(c.d_model, c.layer_norm_eps));
}

at::Tensor TextEnhancerLayerImpl::forward(const at::Tensor& text, const at::Tensor& mask, const at::Tensor& pos) {
  at::Tensor qk = text + pos;
  at::Tensor h = layer_norm_before(text + self_attn(qk, qk, text, mask));
  return layer_norm_after(h + fc2(act(fc1(h))));
}

BiMultiHeadAttentionImpl::BiMultiHeadAttentionImpl(const GroundingDinoConfig& c)
    : heads(c.encoder_attention_heads / 2), embed_dim(c.encoder_ffn_dim / 2) {
  vision_proj = register_module("vision_proj", nn::dense(c.d_model, embed_dim));
  text_proj = register_module("text_proj", nn::dense(c.d_model, embed_dim));
  values_vision_proj = register_module("values_vision_proj", nn::dense(c.d_model, embed_dim));
  values_text_proj = register_module("values_text_proj", nn::dense(c.d_model, embed_dim));
  out_vision_proj = register_module("out_vision_proj", nn::dense(embed_dim, c.d_model));
  out_text_proj = register_module("out_text_proj", nn::dense(embed_dim, c.d_model));
}

std::pair<at::Tensor, at::Tensor> BiMultiHeadAttentionImpl::forward(const at::Tensor& vision, const at::Tensor& text,
                                                                    const at::Tensor& vision_pad,
                                                                    const at::Tensor& text_pad) {
  auto b = vision.size(0), nv = vision.size(1), nt = text.size(1), hd = embed_dim / heads;
  double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  // [B, N, E] -> [B*H, N, hd]
  auto heads_first = [&](const at::Tensor& t, int64_t n) {
    return t.view({b, n, heads, hd}).transpose(1, 2).reshape({b * heads, n, hd});
  };
  at::Tensor q = heads_first(vision_proj(vision) * scale, nv);
  at::Tensor k = heads_first(text_proj(text), nt);
  at::Tensor vv = heads_first(values_vision_proj(vision), nv);
  at::Tensor vt = heads_first(values_text_proj(text), nt);

  at::Tensor scores = at::bmm(q, k.transpose(1, 2));  // [B*H, Nv, Nt]
  // The reference stabilises with the global maximum and clamps for fp16; kept for identical numbers.
  scores = at::clamp(scores - scores.max(), -50000, 50000);
  at::Tensor t_scores = scores.transpose(1, 2);
  t_scores = at::clamp(t_scores - std::get<0>(t_scores.max(-1, true)), -50000, 50000);
  if (vision_pad.defined())
    t_scores = t_scores.masked_fill(vision_pad.view({b, 1, 1, nv}).expand({b, heads, 1, nv}).reshape({b * heads, 1, nv}),
                                    -std::numeric_limits<float>::infinity());
  at::Tensor t_probs = at::softmax(t_scores, -1);
  if (text_pad.defined())
    scores = scores.masked_fill(text_pad.view({b, 1, 1, nt}).expand({b, heads, 1, nt}).reshape({b * heads, 1, nt}),
                                -std::numeric_limits<float>::infinity());
  at::Tensor v_probs = at::softmax(scores, -1);

  at::Tensor v_out = at::bmm(v_probs, vt).view({b, heads, nv, hd}).transpose(1, 2).reshape({b, nv, embed_dim});
  at::Tensor t_out = at::bmm(t_probs, vv).view({b, heads, nt, hd}).transpose(1, 2).reshape({b, nt, embed_dim});
  return {out_vision_proj(v_out), out_text_proj(t_out)};
}

FusionLayerImpl::FusionLayerImpl(const GroundingDinoConfig& c) {
  layer_norm_vision = register_module("layer_norm_vision", nn::layer_norm(c.d_model, c.layer_norm_eps));
  layer_norm_text = register_module("layer_norm_text", nn::layer_norm(c.d_model, c.layer_norm_eps));
  attn = register_module("attn", BiMultiHeadAttention(c));
  vision_param = register_parameter("vision_param", at::full({c.d_model}, 1e-4));
  text_param = register_parameter("text_param", at::full({c.d_model}, 1e-4));
}

std::pair<at::Tensor, at::Tensor> FusionLayerImpl::forward(const at::Tensor& vision_in, const at::Tensor& text_in,
                                                           const at::Tensor& vision_pad, const at::Tensor& text_pad) {
  at::Tensor vision = layer_norm_vision(vision_in), text = layer_norm_text(text_in);
  auto [dv, dt] = attn(vision, text, vision_pad, text_pad);
  return {vision + vision_param * dv, text + text_param * dt};
}

DeformableLayerImpl::DeformableLayerImpl(const GroundingDinoConfig& c) : act(nn::activation(c.activation_function)) {
  self_attn = register_module("self_attn", MultiscaleDeformableAttention(c.d_model, c.encoder_attention_heads,
                                                                         c.num_feature_levels, c.encoder_n_points));
  self_attn_layer_norm = register_module("self_attn_layer_norm", nn::layer_norm(c.d_model, c.layer_norm_eps));
  fc1 = register_module("fc1", nn::dense(c.d_model, c.encoder_ffn_dim));
  fc2 = register_module("fc2", nn::dense(c.encoder_ffn_dim, c.d_model));
  final_layer_norm = register_module("final_layer_norm", nn::layer_norm(c.d_model, c.layer_norm_eps));
}

at::Tensor DeformableLayerImpl::forward(const at::Tensor& x, const at::Tensor& valid, const at::Tensor& pos,
                                        const at::Tensor& reference_points, const SpatialShapes& shapes) {
  at::Tensor h = self_attn_layer_norm(x + self_attn(x, pos, x, valid, reference_points, shapes));
  return final_layer_norm(h + fc2(act(fc1(h))));
}

EncoderLayerImpl::EncoderLayerImpl(const GroundingDinoConfig& c) {
  text_enhancer_layer = register_module("text_enhancer_layer", TextEnhancerLayer(c));
  fusion_layer = register_module("fusion_layer", FusionLayer(c));
  deformable_layer = register_module("deformable_layer", DeformableLayer(c));
}

EncoderImpl::EncoderImpl(const GroundingDinoConfig& c) : d_model(c.d_model) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.encoder_layers; ++i) layers->push_back(EncoderLayer(c));
}

std::pair<at::Tensor, at::Tensor> EncoderImpl::forward(const EncoderInputs& in) {
  auto b = in.vision.size(0);
  // Reference points: every pixel centre of every level, normalised to [0, 1]
  // (valid ratios are 1 without a pixel mask), seen from all levels.
  std::vector<at::Tensor> refs;
  for (auto [h, w] : in.shapes) {
    at::Tensor ry = at::linspace(0.5, h - 0.5, h, at::kFloat).view({h, 1}).expand({h, w}).reshape({-1}) / h;
    at::Tensor rx = at::linspace(0.5, w - 0.5, w, at::kFloat).view({1, w}).expand({h, w}).reshape({-1}) / w;
    refs.push_back(at::stack({rx, ry}, -1));
  }
  int64_t levels = static_cast<int64_t>(in.shapes.size());
  at::Tensor reference_points =
      at::cat(refs, 0).view({1, -1, 1, 2}).expand({b, -1, levels, 2}).contiguous();

  at::Tensor text_pos =
      sine_pos_embed(in.text_position_ids.to(at::kFloat).unsqueeze(-1), d_model, 10000, false);
  at::Tensor text_mask = at::zeros(in.text_attention.sizes(), in.text.options())
                             .masked_fill(in.text_attention.logical_not(), kLowest)
                             .unsqueeze(1);
  at::Tensor vision_pad = in.vision_valid.logical_not(), text_pad = in.text_valid.logical_not();

  at::Tensor vision = in.vision, text = in.text;
  for (const auto& m : *layers) {
    auto* layer = m->as<EncoderLayerImpl>();
    std::tie(vision, text) = layer->fusion_layer(vision, text, vision_pad, text_pad);
    text = layer->text_enhancer_layer(text, text_mask, text_pos);
    vision = layer->deformable_layer(vision, in.vision_valid, in.vision_pos, reference_points, in.shapes);
  }
  return {vision, text};
}

}  // namespace argus::models::grounding_dino
