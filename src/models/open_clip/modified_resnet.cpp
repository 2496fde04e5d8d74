#include "models/open_clip/modified_resnet.h"

#include <cmath>

#include "nn/attention.h"
#include "util/error.h"

namespace argus::models::open_clip {

namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

at::Tensor avg_pool(const at::Tensor& x, int64_t k) { return k > 1 ? at::avg_pool2d(x, {k, k}) : x; }

}  // namespace

BatchNormImpl::BatchNormImpl(int64_t channels) {
  weight = register_parameter("weight", at::ones({channels}));
  bias = register_parameter("bias", at::zeros({channels}));
  running_mean = register_buffer("running_mean", at::zeros({channels}));
  running_var = register_buffer("running_var", at::ones({channels}));
}

at::Tensor BatchNormImpl::forward(const at::Tensor& x) {
  return at::batch_norm(x, weight, bias, running_mean, running_var, is_training(), 0.1, 1e-5,
                        /*cudnn_enabled=*/true);
}

DownsampleImpl::DownsampleImpl(int64_t in, int64_t out, int64_t stride_) : stride(stride_) {
  conv = register_module("0", open_clip::conv(in, out, 1));
  bn = register_module("1", BatchNorm(out));
}

at::Tensor DownsampleImpl::forward(const at::Tensor& x) { return bn(conv(avg_pool(x, stride))); }

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride_) : stride(stride_) {
  conv1 = register_module("conv1", conv(inplanes, planes, 1));
  bn1 = register_module("bn1", BatchNorm(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3));
  bn2 = register_module("bn2", BatchNorm(planes));
  conv3 = register_module("conv3", conv(planes, planes * 4, 1));
  bn3 = register_module("bn3", BatchNorm(planes * 4));
  if (stride > 1 || inplanes != planes * 4) downsample = register_module("downsample", Downsample(inplanes, planes * 4, stride));
}

at::Tensor BottleneckImpl::forward(const at::Tensor& x) {
  at::Tensor h = at::relu(bn1(conv1(x)));
  h = at::relu(bn2(conv2(h)));
  h = bn3(conv3(avg_pool(h, stride)));
  return at::relu(h + (downsample ? downsample(x) : x));
}

AttentionPoolImpl::AttentionPoolImpl(int64_t spatial, int64_t channels, int64_t heads_, int64_t out_dim)
    : heads(heads_) {
  positional_embedding = register_parameter("positional_embedding", at::zeros({spatial * spatial + 1, channels}));
  q_proj = register_module("q_proj", nn::dense(channels, channels));
  k_proj = register_module("k_proj", nn::dense(channels, channels));
  v_proj = register_module("v_proj", nn::dense(channels, channels));
  c_proj = register_module("c_proj", nn::dense(channels, out_dim));
}

at::Tensor AttentionPoolImpl::forward(const at::Tensor& x) {
  at::Tensor tokens = x.flatten(2).transpose(1, 2);  // [N, HW, C], row-major positions
  if (tokens.size(1) + 1 != positional_embedding.size(0))
    fail("the image gives a {}x{} feature map but the attention pool has {} positions", x.size(2), x.size(3),
         positional_embedding.size(0) - 1);
  tokens = at::cat({tokens.mean(1, true), tokens}, 1) + positional_embedding.unsqueeze(0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(tokens.size(2) / heads));
  at::Tensor q = nn::split_heads(q_proj(tokens.slice(1, 0, 1)), heads);  // the mean token only
  at::Tensor k = nn::split_heads(k_proj(tokens), heads);
  at::Tensor v = nn::split_heads(v_proj(tokens), heads);
  return c_proj(nn::merge_heads(nn::attention(q, k, v, at::Tensor(), scale))).squeeze(1);
}

ModifiedResNetImpl::ModifiedResNetImpl(const VisionConfig& c, int64_t embed_dim) {
  const int64_t w = c.width;
  conv1 = register_module("conv1", conv(3, w / 2, 3, 2));
  bn1 = register_module("bn1", BatchNorm(w / 2));
  conv2 = register_module("conv2", conv(w / 2, w / 2, 3));
  bn2 = register_module("bn2", BatchNorm(w / 2));
  conv3 = register_module("conv3", conv(w / 2, w, 3));
  bn3 = register_module("bn3", BatchNorm(w));
  int64_t inplanes = w;
  for (int64_t stage = 0; stage < 4; ++stage) {
    const int64_t planes = w << stage, stride = stage == 0 ? 1 : 2;
    torch::nn::ModuleList blocks;
    for (int64_t b = 0; b < c.res_layers[static_cast<size_t>(stage)]; ++b) {
      blocks->push_back(Bottleneck(inplanes, planes, b == 0 ? stride : 1));
      inplanes = planes * 4;
    }
    layers.push_back(register_module("layer" + std::to_string(stage + 1), blocks));
  }
  attnpool = register_module("attnpool", AttentionPool(c.image_size / 32, w * 32, c.heads(), embed_dim));
}

at::Tensor ModifiedResNetImpl::forward(const at::Tensor& pixel_values, ResNetStages* stages) {
  at::Tensor h = at::relu(bn1(conv1(pixel_values)));
  h = at::relu(bn2(conv2(h)));
  h = avg_pool(at::relu(bn3(conv3(h))), 2);
  at::Tensor* out[] = {nullptr, nullptr, nullptr, nullptr};
  if (stages) {
    stages->stem = h;
    out[0] = &stages->layer1, out[1] = &stages->layer2, out[2] = &stages->layer3, out[3] = &stages->layer4;
  }
  for (size_t s = 0; s < layers.size(); ++s) {
    for (const auto& block : *layers[s]) h = block->as<Bottleneck>()->forward(h);
    if (out[s]) *out[s] = h;
  }
  return attnpool(h);
}

}  // namespace argus::models::open_clip
