#include "models/grounding_dino/multihead_attention.h"

#include <cmath>

#include "nn/attention.h"

namespace argus::models::grounding_dino {

MultiheadAttentionImpl::MultiheadAttentionImpl(int64_t dim, int64_t heads_) : heads(heads_) {
  query = register_module("query", nn::dense(dim, dim));
  key = register_module("key", nn::dense(dim, dim));
  value = register_module("value", nn::dense(dim, dim));
  out_proj = register_module("out_proj", nn::dense(dim, dim));
}

at::Tensor MultiheadAttentionImpl::forward(const at::Tensor& queries, const at::Tensor& keys,
                                           const at::Tensor& values, const at::Tensor& mask) {
  at::Tensor q = nn::split_heads(query(queries), heads);
  at::Tensor k = nn::split_heads(key(keys), heads);
  at::Tensor v = nn::split_heads(value(values), heads);
  at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(q.size(-1)));
  if (mask.defined()) scores = scores + mask;
  return out_proj(nn::merge_heads(at::matmul(at::softmax(scores, -1), v)));
}

}  // namespace argus::models::grounding_dino
