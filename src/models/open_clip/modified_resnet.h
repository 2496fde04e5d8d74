// OpenAI's ModifiedResNet image tower (clip/model.py), with its module names so the
// checkpoint's `visual.*` keys load one to one: a 3-conv stem with an average pool,
// Bottlenecks whose strides are average pools (anti-aliased), and attention pooling
// in which the mean of the final feature map is the only query.
#pragma once
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include "models/open_clip/open_clip_config.h"
#include "nn/dense.h"

namespace argus::models::open_clip {

// BatchNorm2d, eps 1e-5: the running statistics in eval mode (every loaded model); in
// training mode (the world recipe trains this tower from scratch) the batch's statistics,
// with the running ones updated at torch's momentum 0.1. There is no num_batches_tracked
// buffer (it only matters for momentum=None); the loader skips it.
struct BatchNormImpl : torch::nn::Module {
  explicit BatchNormImpl(int64_t channels);
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight, bias, running_mean, running_var;
};
TORCH_MODULE(BatchNorm);

// The shortcut: AvgPool2d(stride) (key "downsample.-1", no weights), "0" conv, "1" BN.
struct DownsampleImpl : torch::nn::Module {
  DownsampleImpl(int64_t in, int64_t out, int64_t stride);
  at::Tensor forward(const at::Tensor& x);
  int64_t stride;
  torch::nn::Conv2d conv{nullptr};
  BatchNorm bn{nullptr};
};
TORCH_MODULE(Downsample);

struct BottleneckImpl : torch::nn::Module {
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride);
  at::Tensor forward(const at::Tensor& x);
  int64_t stride;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  BatchNorm bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  Downsample downsample{nullptr};  // null when the shortcut is the identity
};
TORCH_MODULE(Bottleneck);

struct AttentionPoolImpl : torch::nn::Module {
  AttentionPoolImpl(int64_t spatial, int64_t channels, int64_t heads, int64_t out_dim);
  at::Tensor forward(const at::Tensor& x);  // NCHW -> [N, out_dim]
  int64_t heads;
  at::Tensor positional_embedding;
  nn::Dense q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, c_proj{nullptr};
};
TORCH_MODULE(AttentionPool);

// Feature maps after each stage, for parity tests that localise a difference.
struct ResNetStages {
  at::Tensor stem, layer1, layer2, layer3, layer4;
};

struct ModifiedResNetImpl : torch::nn::Module {
  ModifiedResNetImpl(const VisionConfig& c, int64_t embed_dim);
  at::Tensor forward(const at::Tensor& pixel_values, ResNetStages* stages = nullptr);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  BatchNorm bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  std::vector<torch::nn::ModuleList> layers;  // layer1..layer4
  AttentionPool attnpool{nullptr};
};
TORCH_MODULE(ModifiedResNet);

}  // namespace argus::models::open_clip
