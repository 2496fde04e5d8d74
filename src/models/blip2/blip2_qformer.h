// Blip2QFormerModel (transformers layout "qformer."), run as BLIP-2 runs it for
// generation: the learned query tokens alone, layer-normed, through BERT-style
// post-norm layers: self-attention over the queries, cross-attention to the image
// features every cross_attention_frequency-th layer (from layer 0), and the queries'
// own feed-forward (intermediate_query / output_query).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include "models/blip2/blip2_config.h"
#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::models::blip2 {

// query / key / value; keys and values read `kv_width` features (the image's for cross-attention).
struct QFormerMultiHeadAttentionImpl : torch::nn::Module {
  QFormerMultiHeadAttentionImpl(const Blip2QFormerConfig& c, int64_t kv_width);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& kv);
  int64_t heads;
  double scale;
  nn::Dense query{nullptr}, key{nullptr}, value{nullptr};
};
TORCH_MODULE(QFormerMultiHeadAttention);

// dense, then LayerNorm over (that + the residual): BERT's *Output blocks.
struct QFormerOutputImpl : torch::nn::Module {
  QFormerOutputImpl(int64_t in, int64_t hidden, double eps);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& residual);
  nn::Dense dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};  // sic: BERT's name
};
TORCH_MODULE(QFormerOutput);

struct QFormerAttentionImpl : torch::nn::Module {
  QFormerAttentionImpl(const Blip2QFormerConfig& c, int64_t kv_width);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& kv);
  QFormerMultiHeadAttention attention{nullptr};
  QFormerOutput output{nullptr};
};
TORCH_MODULE(QFormerAttention);

struct QFormerIntermediateImpl : torch::nn::Module {
  explicit QFormerIntermediateImpl(const Blip2QFormerConfig& c);
  at::Tensor forward(const at::Tensor& x);
  nn::Activation act;
  nn::Dense dense{nullptr};
};
TORCH_MODULE(QFormerIntermediate);

struct QFormerLayerImpl : torch::nn::Module {
  QFormerLayerImpl(const Blip2QFormerConfig& c, int64_t layer_index);
  at::Tensor forward(const at::Tensor& queries, const at::Tensor& image);
  QFormerAttention attention{nullptr}, crossattention{nullptr};  // crossattention null on other layers
  QFormerIntermediate intermediate_query{nullptr};
  QFormerOutput output_query{nullptr};
};
TORCH_MODULE(QFormerLayer);

struct QFormerEncoderImpl : torch::nn::Module {
  explicit QFormerEncoderImpl(const Blip2QFormerConfig& c);
  torch::nn::ModuleList layer{nullptr};  // sic: BERT's singular
};
TORCH_MODULE(QFormerEncoder);

struct Blip2QFormerModelImpl : torch::nn::Module {
  explicit Blip2QFormerModelImpl(const Blip2QFormerConfig& c);
  // query_embeds [B, Q, hidden], image_embeds [B, N, encoder_hidden] -> last_hidden_state [B, Q, hidden].
  at::Tensor forward(const at::Tensor& query_embeds, const at::Tensor& image_embeds);
  torch::nn::LayerNorm layernorm{nullptr};
  QFormerEncoder encoder{nullptr};
};
TORCH_MODULE(Blip2QFormerModel);

}  // namespace argus::models::blip2
