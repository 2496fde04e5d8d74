#include "models/grounding_dino/grounding_dino_decoder.h"

#include <limits>

#include "models/grounding_dino/position_embeddings.h"
#include "nn/vit_encoder.h"

namespace argus::models::grounding_dino {

at::Tensor inverse_sigmoid(const at::Tensor& x, double eps) { return at::special_logit(x, eps); }

DecoderLayerImpl::DecoderLayerImpl(const GroundingDinoConfig& c) : act(nn::activation(c.activation_function)) {
  self_attn = register_module("self_attn", MultiheadAttention(c.d_model, c.decoder_attention_heads));
  self_attn_layer_norm = register_module("self_attn_layer_norm", nn::layer_norm(c.d_model, c.layer_norm_eps));
  encoder_attn_text = register_module("encoder_attn_text", MultiheadAttention(c.d_model, c.decoder_attention_heads));
  encoder_attn_text_layer_norm =
      register_module("encoder_attn_text_layer_norm", nn::layer_norm(c.d_model, c.layer_norm_eps));
  encoder_attn = register_module("encoder_attn", MultiscaleDeformableAttention(c.d_model, c.decoder_attention_heads,
                                                                               c.num_feature_levels, c.decoder_n_points));
  encoder_attn_layer_norm = register_module("encoder_attn_layer_norm", nn::layer_norm(c.d_model, c.layer_norm_eps));
  fc1 = register_module("fc1", nn::dense(c.d_model, c.decoder_ffn_dim));
  fc2 = register_module("fc2", nn::dense(c.decoder_ffn_dim, c.d_model));
  final_layer_norm = register_module("final_layer_norm", nn::layer_norm(c.d_model, c.layer_norm_eps));
}

at::Tensor DecoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& query_pos,
                                     const at::Tensor& reference_points, const SpatialShapes& shapes,
                                     const at::Tensor& vision, const at::Tensor& vision_valid, const at::Tensor& text,
                                     const at::Tensor& text_mask) {
  at::Tensor qk = x + query_pos;
  at::Tensor h = self_attn_layer_norm(x + self_attn(qk, qk, x, at::Tensor()));
  h = encoder_attn_text_layer_norm(h + encoder_attn_text(h + query_pos, text, text, text_mask));
  h = encoder_attn_layer_norm(h + encoder_attn(h, query_pos, vision, vision_valid, reference_points, shapes));
  return final_layer_norm(h + fc2(act(fc1(h))));
}

DecoderImpl::DecoderImpl(const GroundingDinoConfig& c)
    : d_model(c.d_model), heads(c.decoder_attention_heads), num_levels(c.num_feature_levels) {
  layer_norm = register_module("layer_norm", nn::layer_norm(c.d_model, c.layer_norm_eps));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.decoder_layers; ++i) layers->push_back(DecoderLayer(c));
  // query_dim / 2 * d_model inputs: the sine features of the 4 box coordinates, d_model / 2 each.
  reference_points_head = register_module("reference_points_head", MLPPredictionHead(2 * c.d_model, c.d_model, c.d_model, 2));
}

DecoderOutput DecoderImpl::forward(const at::Tensor& target, const at::Tensor& reference_points_in,
                                   const SpatialShapes& shapes, const at::Tensor& vision,
                                   const at::Tensor& vision_valid, const at::Tensor& text,
                                   const at::Tensor& text_valid, std::vector<MLPPredictionHead> box_heads) {
  at::Tensor text_mask = at::zeros({text_valid.size(0), 1, 1, text_valid.size(1)}, text.options())
                             .masked_fill(text_valid.logical_not().view({text_valid.size(0), 1, 1, -1}),
                                          -std::numeric_limits<float>::max());
  DecoderOutput out;
  at::Tensor x = target, reference_points = reference_points_in;
  for (size_t i = 0; i < layers->size(); ++i) {
    // Valid ratios are 1 without a pixel mask: every level sees the same box.
    at::Tensor ref_input = reference_points.unsqueeze(2).expand({-1, -1, num_levels, -1});
    at::Tensor query_pos = reference_points_head(sine_pos_embed(reference_points, d_model / 2, 10000, true));
    x = layers[i]->as<DecoderLayerImpl>()->forward(x, query_pos, ref_input, shapes, vision, vision_valid, text,
                                                   text_mask);
    // Refinement reads the un-normalised layer output, as the reference does.
    reference_points = at::sigmoid(box_heads[i](x) + inverse_sigmoid(reference_points));
    out.hidden.push_back(layer_norm(x));
    out.references.push_back(reference_points);
  }
  return out;
}

}  // namespace argus::models::grounding_dino
