// transformers' ResNetBackbone under its module names (embedder.embedder.{convolution,
// normalization}, encoder.stages.S.layers.L.{shortcut, layer.K}), so DETR's
// `model.backbone.conv_encoder.model.*` keys load one to one. DETR swaps every
// BatchNorm2d for a frozen one (DetrFrozenBatchNorm2d): the running statistics and the
// affine parameters are fixed buffers, applied as one scale and shift.
#pragma once
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include "models/detr/detr_config.h"

namespace argus::models::detr {

struct FrozenBatchNorm2dImpl : torch::nn::Module {
  explicit FrozenBatchNorm2dImpl(int64_t channels);
  // x * w / sqrt(var + 1e-5) + (b - mean * w / sqrt(var + 1e-5)), the reference's order.
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight, bias, running_mean, running_var;
};
TORCH_MODULE(FrozenBatchNorm2d);

// ResNetConvLayer: conv (no bias, padding k/2) -> frozen BN -> optional ReLU. A
// ResNetShortCut is the same without the ReLU (1x1).
struct ResNetConvLayerImpl : torch::nn::Module {
  ResNetConvLayerImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool relu);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Conv2d convolution{nullptr};
  FrozenBatchNorm2d normalization{nullptr};
  bool relu;
};
TORCH_MODULE(ResNetConvLayer);

// ResNetBasicLayer (two 3x3) or ResNetBottleNeckLayer (1x1, 3x3, 1x1 at width/4):
// relu(layer(x) + shortcut(x)), the shortcut a projection when the shape changes.
struct ResNetLayerImpl : torch::nn::Module {
  ResNetLayerImpl(const ResNetConfig& c, int64_t in, int64_t out, int64_t stride);
  at::Tensor forward(const at::Tensor& x);
  ResNetConvLayer shortcut{nullptr};  // null: identity
  torch::nn::ModuleList layer{nullptr};
};
TORCH_MODULE(ResNetLayer);

struct ResNetStageImpl : torch::nn::Module {
  ResNetStageImpl(const ResNetConfig& c, int64_t in, int64_t out, int64_t stride, int64_t depth);
  at::Tensor forward(at::Tensor x);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(ResNetStage);

struct ResNetEmbeddingsImpl : torch::nn::Module {  // 7x7/2 conv + 3x3/2 max pool
  explicit ResNetEmbeddingsImpl(const ResNetConfig& c);
  at::Tensor forward(const at::Tensor& pixel_values);
  ResNetConvLayer embedder{nullptr};
};
TORCH_MODULE(ResNetEmbeddings);

struct ResNetEncoderImpl : torch::nn::Module {
  explicit ResNetEncoderImpl(const ResNetConfig& c);
  torch::nn::ModuleList stages{nullptr};
};
TORCH_MODULE(ResNetEncoder);

struct ResNetBackboneImpl : torch::nn::Module {
  explicit ResNetBackboneImpl(const ResNetConfig& c);
  // The feature map of cfg.out_stage ([B, C, H/32, W/32] for stage 4 of 4). Every
  // stage is built, as the reference builds them, so that the checkpoint loads whole.
  at::Tensor forward(const at::Tensor& pixel_values);
  ResNetConfig cfg;
  ResNetEmbeddings embedder{nullptr};
  ResNetEncoder encoder{nullptr};
};
TORCH_MODULE(ResNetBackbone);

}  // namespace argus::models::detr
