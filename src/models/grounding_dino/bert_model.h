// BertModel without the pooler (Grounding DINO's text backbone), under the
// checkpoint's names: embeddings.{word,position,token_type}_embeddings,
// embeddings.LayerNorm, encoder.layer.N.{attention.self.{query,key,value},
// attention.output.{dense,LayerNorm}, intermediate.dense, output.{dense,LayerNorm}}.
#pragma once
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

#include "models/grounding_dino/grounding_dino_config.h"
#include "nn/activation.h"
#include "nn/dense.h"

namespace argus::models::grounding_dino {

struct BertEmbeddingsImpl : torch::nn::Module {
  explicit BertEmbeddingsImpl(const BertConfig& c);
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids, const at::Tensor& position_ids);
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
};
TORCH_MODULE(BertEmbeddings);

struct BertSelfAttentionImpl : torch::nn::Module {
  explicit BertSelfAttentionImpl(const BertConfig& c);
  nn::Dense query{nullptr}, key{nullptr}, value{nullptr};
};
TORCH_MODULE(BertSelfAttention);

// dense (+ LayerNorm of dense(x) + residual): BERT's SelfOutput / Output / Intermediate (no LayerNorm).
struct BertDenseNormImpl : torch::nn::Module {
  BertDenseNormImpl(int64_t in, int64_t out, double eps, bool with_norm);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& residual);
  nn::Dense dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
};
TORCH_MODULE(BertDenseNorm);

struct BertAttentionImpl : torch::nn::Module {
  explicit BertAttentionImpl(const BertConfig& c);
  BertSelfAttention self{nullptr};
  BertDenseNorm output{nullptr};
};
TORCH_MODULE(BertAttention);

struct BertLayerImpl : torch::nn::Module {
  explicit BertLayerImpl(const BertConfig& c);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask);
  BertAttention attention{nullptr};
  BertDenseNorm intermediate{nullptr}, output{nullptr};
  nn::Activation act;
  int64_t heads;
};
TORCH_MODULE(BertLayer);

struct BertEncoderImpl : torch::nn::Module {
  explicit BertEncoderImpl(const BertConfig& c);
  torch::nn::ModuleList layer{nullptr};
};
TORCH_MODULE(BertEncoder);

struct BertModelImpl : torch::nn::Module {
  explicit BertModelImpl(const BertConfig& c);
  // input_ids, token_type_ids, position_ids [B, L] int64; attention [B, L, L] bool
  // (true = query may attend to key). Returns the last hidden state [B, L, hidden].
  at::Tensor forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids, const at::Tensor& position_ids,
                     const at::Tensor& attention);
  BertConfig cfg;
  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
};
TORCH_MODULE(BertModel);

}  // namespace argus::models::grounding_dino
