// DetrForObjectDetection (transformers layout): ResNet features of the last stage ->
// 1x1 input_projection to d_model -> encoder over the flattened map with sine
// position embeddings -> decoder of num_queries learned queries -> per query, class
// logits (num_labels + 1, the last "no object") and a box (cx, cy, w, h) in [0, 1] of
// the image's unpadded extent. pixel_mask (1 = real pixel, 0 = padding) lets images of
// different sizes share a padded batch: padded positions are masked out of attention
// and out of the position embedding's normalisation.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/container/modulelist.h>

#include "models/detr/detr_config.h"
#include "models/detr/detr_transformer.h"
#include "models/detr/resnet_backbone.h"

namespace argus::io { class Checkpoint; }

namespace argus::models::detr {

// DetrSinePositionEmbedding (normalize = true, scale 2π, temperature 10000) of a
// feature-map mask [B, H, W] (1 = real) -> [B, 2 * half_dim, H, W]: y features then x
// features, each interleaving sin/cos of (cumsum / its last value * 2π) / T^(2⌊i/2⌋/half_dim).
at::Tensor sine_position_embedding(const at::Tensor& mask, int64_t half_dim, double temperature = 10000.0);

struct DetrConvEncoderImpl : torch::nn::Module {  // backbone.conv_encoder
  explicit DetrConvEncoderImpl(const ResNetConfig& c) { model = register_module("model", ResNetBackbone(c)); }
  ResNetBackbone model{nullptr};
};
TORCH_MODULE(DetrConvEncoder);

struct DetrConvModelImpl : torch::nn::Module {  // backbone (the position embedding has no weights)
  explicit DetrConvModelImpl(const ResNetConfig& c) { conv_encoder = register_module("conv_encoder", DetrConvEncoder(c)); }
  DetrConvEncoder conv_encoder{nullptr};
};
TORCH_MODULE(DetrConvModel);

struct DetrModelImpl : torch::nn::Module {
  explicit DetrModelImpl(const DetrConfig& c);
  DetrConvModel backbone{nullptr};
  torch::nn::Conv2d input_projection{nullptr};
  torch::nn::Embedding query_position_embeddings{nullptr};
  DetrEncoder encoder{nullptr};
  DetrDecoder decoder{nullptr};
};
TORCH_MODULE(DetrModel);

// DetrMLPPredictionHead: layers.0..2, ReLU between.
struct DetrMLPPredictionHeadImpl : torch::nn::Module {
  DetrMLPPredictionHeadImpl(int64_t in, int64_t hidden, int64_t out, int64_t num_layers);
  at::Tensor forward(at::Tensor x);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(DetrMLPPredictionHead);

struct DetrOutput {
  at::Tensor logits;             // [B, num_queries, num_labels + 1]
  at::Tensor pred_boxes;         // [B, num_queries, 4] (cx, cy, w, h) relative to each image's unpadded size
  at::Tensor last_hidden_state;  // decoder output [B, num_queries, d_model]
  at::Tensor feature_mask;       // the pixel mask at the feature map's size [B, h, w] (bool)
};

struct DetrForObjectDetectionImpl : torch::nn::Module {
  explicit DetrForObjectDetectionImpl(const DetrConfig& c);
  // pixel_values [B, 3, H, W] (normalised); pixel_mask [B, H, W] (any integer or bool
  // dtype, 1 = real pixel); undefined = all real.
  DetrOutput forward(const at::Tensor& pixel_values, const at::Tensor& pixel_mask = {});
  DetrConfig cfg;
  DetrModel model{nullptr};
  nn::Dense class_labels_classifier{nullptr};
  DetrMLPPredictionHead bbox_predictor{nullptr};
};
TORCH_MODULE(DetrForObjectDetection);

// Builds the model from the checkpoint's config (its sizes checked against the
// tensors first), loads the weights strictly and prepares it for inference.
DetrForObjectDetection load_detr_model(const io::Checkpoint& ck);

}  // namespace argus::models::detr
