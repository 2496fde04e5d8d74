// CLIPSegForImageSegmentation (transformers layout): a frozen CLIP (`clip.*`, CLIP's own
// key names) whose vision tower's hidden states at `extract_layers` feed a small
// post-norm transformer decoder, FiLM-conditioned on a text (or image) embedding,
// and a transposed convolution back to pixels: one logit map per (image, prompt) pair.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include "models/clip/clip_config.h"
#include "models/clip/clip_model.h"
#include "nn/dense.h"
#include "nn/vit_encoder.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::clipseg {

struct ClipSegConfig {
  clip::ClipConfig clip;
  std::vector<int64_t> extract_layers{3, 6, 9};
  int64_t reduce_dim = 64, conditional_layer = 0;
  int64_t decoder_heads = 4, decoder_intermediate = 2048;
  bool complex_transposed_convolution = false;
};
ClipSegConfig parse_config(const nlohmann::json& j);

// CLIPSegDecoderLayer: CLIP's encoder layer with the norms after attention / MLP.
struct ClipSegDecoderLayerImpl : torch::nn::Module {
  explicit ClipSegDecoderLayerImpl(const nn::EncoderDims& d);
  at::Tensor forward(const at::Tensor& x);
  nn::SelfAttention self_attn{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr};
  nn::Mlp mlp{nullptr};
  torch::nn::LayerNorm layer_norm2{nullptr};
};
TORCH_MODULE(ClipSegDecoderLayer);

// use_complex_transposed_convolution: Conv3x3 -> ReLU -> ConvT -> ReLU -> ConvT, keyed
// as nn.Sequential indexes them (0, 2, 4).
struct ComplexUpsamplerImpl : torch::nn::Module {
  ComplexUpsamplerImpl(int64_t reduce_dim, int64_t patch_size);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::ConvTranspose2d up1{nullptr}, up2{nullptr};
};
TORCH_MODULE(ComplexUpsampler);

struct ClipSegDecoderImpl : torch::nn::Module {
  explicit ClipSegDecoderImpl(const ClipSegConfig& c);
  // activations: the extracted hidden states [B, 1 + N, D] in extract_layers order;
  // conditional [B, projection_dim]. Returns logits [B, S, S].
  at::Tensor forward(const std::vector<at::Tensor>& activations, const at::Tensor& conditional);
  int64_t conditional_layer;
  nn::Dense film_mul{nullptr}, film_add{nullptr};
  torch::nn::ModuleList reduces{nullptr}, layers{nullptr};
  torch::nn::ConvTranspose2d transposed_convolution{nullptr};  // simple variant
  ComplexUpsampler complex_transposed_convolution{nullptr};    // registered as transposed_convolution too
};
TORCH_MODULE(ClipSegDecoder);

struct ClipSegForImageSegmentationImpl : torch::nn::Module {
  explicit ClipSegForImageSegmentationImpl(const ClipSegConfig& c);
  // Text prompts -> conditional embeddings [N, projection_dim] (projected, not normalised).
  at::Tensor text_conditional(const at::Tensor& input_ids, const at::Tensor& attention_mask = {});
  // Prompt images -> conditional embeddings [N, projection_dim].
  at::Tensor image_conditional(const at::Tensor& pixel_values);
  // pixel_values [B, 3, S, S]; conditional [B, projection_dim] (one per image). Logits [B, S, S].
  at::Tensor forward(const at::Tensor& pixel_values, const at::Tensor& conditional);
  // Text-prompted segmentation: input_ids [B, L], one prompt per image.
  at::Tensor segment(const at::Tensor& pixel_values, const at::Tensor& input_ids, const at::Tensor& attention_mask = {});
  ClipSegConfig cfg;
  clip::ClipModel clip{nullptr};
  ClipSegDecoder decoder{nullptr};
};
TORCH_MODULE(ClipSegForImageSegmentation);

ClipSegForImageSegmentation load_clipseg_model(const io::Checkpoint& ck);

}  // namespace argus::models::clipseg
