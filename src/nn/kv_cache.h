// Key/value cache of a decoder: per layer [B, H_kv, T, D] tensors grown in place
// (amortised doubling), plus the 0/1 attention mask [B, T] of every cached position
// (left padding shows up as zeros there).
#pragma once
#include <utility>
#include <vector>

#include <ATen/ATen.h>

namespace argus::nn {

class KvCache {
 public:
  explicit KvCache(int64_t layers = 0) : k_(layers), v_(layers), len_(layers, 0) {}

  int64_t layers() const { return static_cast<int64_t>(len_.size()); }
  // Positions cached (those of layer 0: the model's forward appends layer by layer).
  int64_t length() const { return len_.empty() ? 0 : len_[0]; }
  int64_t batch() const { return k_.empty() || !k_[0].defined() ? 0 : k_[0].size(0); }
  // Preallocates room for `total` positions when the first append comes.
  void reserve(int64_t total) { reserve_ = total; }

  // Appends k, v [B, H, L, D] to `layer`; returns views of all cached keys/values [B, H, T, D].
  std::pair<at::Tensor, at::Tensor> append(int64_t layer, const at::Tensor& k, const at::Tensor& v);

  // Keeps only the batch rows `rows` (dropping finished sequences).
  void select_rows(const at::Tensor& rows);
  void clear();

  // 0/1 mask [B, length()] (int64) of the cached positions; undefined while empty.
  at::Tensor attention_mask;

 private:
  std::vector<at::Tensor> k_, v_;  // [B, H, capacity, D]
  std::vector<int64_t> len_;
  int64_t reserve_ = 0;
};

}  // namespace argus::nn
