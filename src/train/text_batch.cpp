#include "train/text_batch.h"

namespace argus::train {

TokenBatch tokenize_batch(const text::Tokenizer& tok, const std::vector<std::string>& texts, int64_t max_len,
                          int64_t pad_id) {
  TokenBatch t;
  const auto m = static_cast<int64_t>(texts.size());
  t.ids = at::full({m, max_len}, pad_id, at::kLong);
  t.lengths = at::empty({m}, at::kLong);
  auto ids = t.ids.accessor<int64_t, 2>();
  auto len = t.lengths.accessor<int64_t, 1>();
  for (int64_t i = 0; i < m; ++i) {
    auto row = text::encode_truncated(tok, texts[static_cast<size_t>(i)], max_len);
    for (size_t j = 0; j < row.size(); ++j) ids[i][static_cast<int64_t>(j)] = row[j];
    len[i] = static_cast<int64_t>(row.size());
  }
  return t;
}

}  // namespace argus::train
