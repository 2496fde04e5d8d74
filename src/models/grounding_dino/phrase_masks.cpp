#include "models/grounding_dino/phrase_masks.h"

#include <algorithm>

#include "util/error.h"

namespace argus::models::grounding_dino {

PhraseMasks phrase_masks(const at::Tensor& input_ids, const std::vector<int64_t>& delimiter_ids) {
  if (input_ids.dim() != 2) fail("grounding-dino: input_ids must be [batch, length], got {} dimensions", input_ids.dim());
  at::Tensor ids = input_ids.to(at::kLong).contiguous();
  auto b = ids.size(0), n = ids.size(1);
  at::Tensor attn = at::eye(n, at::kBool).unsqueeze(0).repeat({b, 1, 1});
  at::Tensor pos = at::zeros({b, n}, at::kLong);
  auto a = attn.accessor<bool, 3>();
  auto p = pos.accessor<int64_t, 2>();
  auto id = ids.accessor<int64_t, 2>();
  // `previous` is the last delimiter seen, starting at 0; like the reference's
  // single loop over all rows it carries into the next row (harmless there,
  // as every row starts with [CLS], but kept so outputs agree on any input).
  int64_t previous = 0;
  for (int64_t r = 0; r < b; ++r) {
    for (int64_t col = 0; col < n; ++col) {
      if (std::find(delimiter_ids.begin(), delimiter_ids.end(), id[r][col]) == delimiter_ids.end()) continue;
      if (col == 0 || col == n - 1) {
        a[r][col][col] = true;
        p[r][col] = 0;
      } else {
        for (int64_t i = previous + 1; i <= col; ++i) {
          p[r][i] = i - previous - 1;
          for (int64_t j = previous + 1; j <= col; ++j) a[r][i][j] = true;
        }
      }
      previous = col;
    }
  }
  return {attn, pos};
}

}  // namespace argus::models::grounding_dino
