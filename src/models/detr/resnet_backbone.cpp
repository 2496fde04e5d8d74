#include "models/detr/resnet_backbone.h"

#include "nn/load.h"
#include "util/error.h"

namespace argus::models::detr {

FrozenBatchNorm2dImpl::FrozenBatchNorm2dImpl(int64_t channels) {
  // Buffers in the reference, but loaded from the checkpoint all the same.
  weight = register_buffer("weight", at::ones({channels}));
  bias = register_buffer("bias", at::zeros({channels}));
  running_mean = register_buffer("running_mean", at::zeros({channels}));
  running_var = register_buffer("running_var", at::ones({channels}));
}

at::Tensor FrozenBatchNorm2dImpl::forward(const at::Tensor& x) {
  at::Tensor scale = weight * (running_var + 1e-5).rsqrt();
  at::Tensor shift = bias - running_mean * scale;
  return x * scale.view({1, -1, 1, 1}) + shift.view({1, -1, 1, 1});
}

ResNetConvLayerImpl::ResNetConvLayerImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool relu_)
    : relu(relu_) {
  convolution = register_module(
      "convolution",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false)));
  normalization = register_module("normalization", FrozenBatchNorm2d(out));
}

at::Tensor ResNetConvLayerImpl::forward(const at::Tensor& x) {
  at::Tensor h = normalization(convolution(x));
  return relu ? at::relu(h) : h;
}

ResNetLayerImpl::ResNetLayerImpl(const ResNetConfig& c, int64_t in, int64_t out, int64_t stride) {
  if (in != out || stride != 1) shortcut = register_module("shortcut", ResNetConvLayer(in, out, 1, stride, false));
  layer = register_module("layer", torch::nn::ModuleList());
  if (c.layer_type == "basic") {
    layer->push_back(ResNetConvLayer(in, out, 3, stride, true));
    layer->push_back(ResNetConvLayer(out, out, 3, 1, false));
  } else {
    const int64_t reduced = out / 4;
    const bool first = c.downsample_in_bottleneck;
    layer->push_back(ResNetConvLayer(in, reduced, 1, first ? stride : 1, true));
    layer->push_back(ResNetConvLayer(reduced, reduced, 3, first ? 1 : stride, true));
    layer->push_back(ResNetConvLayer(reduced, out, 1, 1, false));
  }
}

at::Tensor ResNetLayerImpl::forward(const at::Tensor& x) {
  at::Tensor h = x;
  for (const auto& m : *layer) h = m->as<ResNetConvLayerImpl>()->forward(h);
  return at::relu(h + (shortcut ? shortcut(x) : x));
}

ResNetStageImpl::ResNetStageImpl(const ResNetConfig& c, int64_t in, int64_t out, int64_t stride, int64_t depth) {
  layers = register_module("layers", torch::nn::ModuleList());
  // The first layer downsamples (and widens); the rest keep the shape.
  for (int64_t i = 0; i < depth; ++i) layers->push_back(ResNetLayer(c, i == 0 ? in : out, out, i == 0 ? stride : 1));
}

at::Tensor ResNetStageImpl::forward(at::Tensor x) {
  for (const auto& m : *layers) x = m->as<ResNetLayerImpl>()->forward(x);
  return x;
}

ResNetEmbeddingsImpl::ResNetEmbeddingsImpl(const ResNetConfig& c) {
  embedder = register_module("embedder", ResNetConvLayer(c.num_channels, c.embedding_size, 7, 2, true));
}

at::Tensor ResNetEmbeddingsImpl::forward(const at::Tensor& pixel_values) {
  return at::max_pool2d(embedder(pixel_values), {3, 3}, {2, 2}, {1, 1});
}

ResNetEncoderImpl::ResNetEncoderImpl(const ResNetConfig& c) {
  stages = register_module("stages", torch::nn::ModuleList());
  for (size_t i = 0; i < c.depths.size(); ++i) {
    const int64_t in = i == 0 ? c.embedding_size : c.hidden_sizes[i - 1];
    const int64_t stride = i == 0 ? (c.downsample_in_first_stage ? 2 : 1) : 2;
    stages->push_back(ResNetStage(c, in, c.hidden_sizes[i], stride, c.depths[i]));
  }
}

ResNetBackboneImpl::ResNetBackboneImpl(const ResNetConfig& c) : cfg(c) {
  embedder = register_module("embedder", ResNetEmbeddings(c));
  encoder = register_module("encoder", ResNetEncoder(c));
}

at::Tensor ResNetBackboneImpl::forward(const at::Tensor& pixel_values) {
  if (pixel_values.dim() != 4 || pixel_values.size(1) != cfg.num_channels)
    fail("DETR: pixel_values must be [B, {}, H, W], got {}", cfg.num_channels, nn::shape_str(pixel_values.sizes()));
  at::Tensor h = embedder(pixel_values);
  for (int64_t s = 0; s < cfg.out_stage; ++s) h = encoder->stages[static_cast<size_t>(s)]->as<ResNetStageImpl>()->forward(h);
  return h;
}

}  // namespace argus::models::detr
