#include "models/grounding_dino/bert_model.h"

#include <cmath>
#include <limits>

#include "nn/attention.h"
#include "nn/vit_encoder.h"
#include "util/error.h"

namespace argus::models::grounding_dino {

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig& c) {
  word_embeddings = register_module("word_embeddings", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  position_embeddings =
      register_module("position_embeddings", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
  token_type_embeddings =
      register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm", nn::layer_norm(c.hidden_size, c.layer_norm_eps));
}

at::Tensor BertEmbeddingsImpl::forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                       const at::Tensor& position_ids) {
  // Out-of-range ids would read past the tables: refuse them with the range.
  auto check = [](const at::Tensor& ids, const torch::nn::Embedding& table, const char* what) {
    int64_t n = table->weight.size(0);
    if (ids.numel() && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= n))
      fail("grounding-dino: {} out of range [0, {})", what, n);
  };
  check(input_ids, word_embeddings, "token id");
  check(token_type_ids, token_type_embeddings, "token type id");
  check(position_ids, position_embeddings, "text position");
  at::Tensor x = word_embeddings(input_ids) + token_type_embeddings(token_type_ids);
  x = x + position_embeddings(position_ids);
  return LayerNorm(x);
}

BertSelfAttentionImpl::BertSelfAttentionImpl(const BertConfig& c) {
  query = register_module("query", nn::dense(c.hidden_size, c.hidden_size));
  key = register_module("key", nn::dense(c.hidden_size, c.hidden_size));
  value = register_module("value", nn::dense(c.hidden_size, c.hidden_size));
}

BertDenseNormImpl::BertDenseNormImpl(int64_t in, int64_t out, double eps, bool with_norm) {
  dense = register_module("dense", nn::dense(in, out));
  if (with_norm) LayerNorm = register_module("LayerNorm", nn::layer_norm(out, eps));
}

at::Tensor BertDenseNormImpl::forward(const at::Tensor& x, const at::Tensor& residual) {
  at::Tensor y = dense(x);
  return LayerNorm ? LayerNorm(y + residual) : y;
}

BertAttentionImpl::BertAttentionImpl(const BertConfig& c) {
  self = register_module("self", BertSelfAttention(c));
  output = register_module("output", BertDenseNorm(c.hidden_size, c.hidden_size, c.layer_norm_eps, true));
}

BertLayerImpl::BertLayerImpl(const BertConfig& c) : act(nn::activation(c.hidden_act)), heads(c.num_attention_heads) {
  attention = register_module("attention", BertAttention(c));
  intermediate =
      register_module("intermediate", BertDenseNorm(c.hidden_size, c.intermediate_size, c.layer_norm_eps, false));
  output = register_module("output", BertDenseNorm(c.intermediate_size, c.hidden_size, c.layer_norm_eps, true));
}

at::Tensor BertLayerImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  auto& sa = attention->self;
  at::Tensor q = nn::split_heads(sa->query(x), heads), k = nn::split_heads(sa->key(x), heads),
             v = nn::split_heads(sa->value(x), heads);
  at::Tensor ctx = nn::merge_heads(nn::attention(q, k, v, mask, 1.0 / std::sqrt(static_cast<double>(q.size(-1)))));
  at::Tensor h = attention->output->forward(ctx, x);
  return output->forward(act(intermediate->forward(h, {})), h);
}

BertEncoderImpl::BertEncoderImpl(const BertConfig& c) {
  layer = register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layer->push_back(BertLayer(c));
}

BertModelImpl::BertModelImpl(const BertConfig& c) : cfg(c) {
  embeddings = register_module("embeddings", BertEmbeddings(c));
  encoder = register_module("encoder", BertEncoder(c));
}

at::Tensor BertModelImpl::forward(const at::Tensor& input_ids, const at::Tensor& token_type_ids,
                                  const at::Tensor& position_ids, const at::Tensor& attention) {
  at::Tensor x = embeddings(input_ids, token_type_ids, position_ids);
  // Boolean [B, L, L] -> additive [B, 1, L, L] with the dtype's lowest value where blocked.
  at::Tensor mask = at::zeros(attention.sizes(), x.options())
                        .masked_fill(attention.logical_not(), -std::numeric_limits<float>::max())
                        .unsqueeze(1);
  for (const auto& l : *encoder->layer) x = l->as<BertLayerImpl>()->forward(x, mask);
  return x;
}

}  // namespace argus::models::grounding_dino
