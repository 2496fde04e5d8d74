#include "nn/kv_cache.h"

#include <algorithm>

#include "util/error.h"

namespace argus::nn {

std::pair<at::Tensor, at::Tensor> KvCache::append(int64_t layer, const at::Tensor& k, const at::Tensor& v) {
  if (layer < 0 || layer >= layers()) fail("kv cache: layer {} out of range ({} layers)", layer, layers());
  at::Tensor& K = k_[layer];
  at::Tensor& V = v_[layer];
  int64_t len = len_[layer], add = k.size(2);
  if (K.defined() && (K.size(0) != k.size(0) || K.size(1) != k.size(1) || K.size(3) != k.size(3) ||
                      K.scalar_type() != k.scalar_type()))
    fail("kv cache: layer {} holds [{}, {}, *, {}] but got [{}, {}, *, {}]", layer, K.size(0), K.size(1), K.size(3),
         k.size(0), k.size(1), k.size(3));
  int64_t cap = K.defined() ? K.size(2) : 0;
  if (len + add > cap) {
    int64_t new_cap = std::max({len + add, 2 * cap, reserve_});
    at::Tensor nk = at::empty({k.size(0), k.size(1), new_cap, k.size(3)}, k.options());
    at::Tensor nv = at::empty({v.size(0), v.size(1), new_cap, v.size(3)}, v.options());
    if (len > 0) {
      nk.slice(2, 0, len).copy_(K.slice(2, 0, len));
      nv.slice(2, 0, len).copy_(V.slice(2, 0, len));
    }
    K = nk;
    V = nv;
  }
  K.slice(2, len, len + add).copy_(k);
  V.slice(2, len, len + add).copy_(v);
  len_[layer] = len + add;
  return {K.slice(2, 0, len + add), V.slice(2, 0, len + add)};
}

void KvCache::select_rows(const at::Tensor& rows) {
  for (size_t i = 0; i < k_.size(); ++i) {
    if (!k_[i].defined()) continue;
    k_[i] = k_[i].index_select(0, rows);
    v_[i] = v_[i].index_select(0, rows);
  }
  if (attention_mask.defined()) attention_mask = attention_mask.index_select(0, rows);
}

void KvCache::clear() {
  for (size_t i = 0; i < k_.size(); ++i) {
    k_[i] = at::Tensor();
    v_[i] = at::Tensor();
    len_[i] = 0;
  }
  attention_mask = at::Tensor();
}

}  // namespace argus::nn
