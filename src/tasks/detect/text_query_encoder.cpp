#include "tasks/detect/text_query_encoder.h"

#include <algorithm>

#include "util/error.h"

namespace argus::tasks {

TextQueryEncoder::TextQueryEncoder(std::unique_ptr<text::Tokenizer> tokenizer, TowerFn tower, int64_t context,
                                   int64_t pad_id, int64_t max_batch, size_t max_cache)
    : tokenizer_(std::move(tokenizer)),
      tower_(std::move(tower)),
      context_(context),
      pad_id_(pad_id),
      max_batch_(std::max<int64_t>(1, max_batch)),
      max_cache_(max_cache) {
  if (!tokenizer_) fail("text queries need the checkpoint's tokenizer files");
  if (context_ < 2) fail("text context of {} tokens is too short", context_);
}

std::vector<int64_t> TextQueryEncoder::tokenize(const std::string& text, bool& truncated) const {
  return text::encode_truncated(*tokenizer_, text, context_, &truncated);
}

at::Tensor TextQueryEncoder::embed(const std::vector<std::string>& texts, std::vector<std::string>* warnings) {
  if (texts.empty()) fail("no text queries to encode");
  for (size_t i = 0; i < texts.size(); ++i)
    if (texts[i].find_first_not_of(" \t\r\n") == std::string::npos) fail("text query {} is empty", i + 1);

  // The distinct texts the cache lacks, first occurrence order.
  std::vector<std::string> missing;
  for (const auto& t : texts)
    if (!cache_.count(t) && std::find(missing.begin(), missing.end(), t) == missing.end()) missing.push_back(t);
  // Bounded memory: a cache that would overflow starts again (queries in use are re-added below).
  if (cache_.size() + missing.size() > max_cache_) {
    cache_.clear();
    missing.clear();
    for (const auto& t : texts)
      if (std::find(missing.begin(), missing.end(), t) == missing.end()) missing.push_back(t);
  }

  at::NoGradGuard ng;
  for (size_t start = 0; start < missing.size(); start += static_cast<size_t>(max_batch_)) {
    size_t end = std::min(missing.size(), start + static_cast<size_t>(max_batch_));
    std::vector<std::vector<int64_t>> seqs;
    std::vector<bool> truncated;
    size_t longest = 0;
    for (size_t i = start; i < end; ++i) {
      bool cut = false;
      seqs.push_back(tokenize(missing[i], cut));
      truncated.push_back(cut);
      longest = std::max(longest, seqs.back().size());
    }
    auto n = static_cast<int64_t>(seqs.size());
    at::Tensor ids = at::full({n, static_cast<int64_t>(longest)}, pad_id_, at::kLong);
    at::Tensor mask = at::zeros({n, static_cast<int64_t>(longest)}, at::kLong);
    auto ia = ids.accessor<int64_t, 2>();
    auto ma = mask.accessor<int64_t, 2>();
    for (int64_t i = 0; i < n; ++i)
      for (size_t j = 0; j < seqs[i].size(); ++j) ia[i][j] = seqs[i][j], ma[i][j] = 1;
    at::Tensor embeds = tower_(ids, mask);
    ++tower_calls_;
    texts_encoded_ += n;
    for (int64_t i = 0; i < n; ++i) cache_[missing[start + i]] = {embeds[i].clone(), truncated[i]};
  }

  std::vector<at::Tensor> rows;
  rows.reserve(texts.size());
  for (const auto& t : texts) {
    const Entry& e = cache_.at(t);
    if (e.truncated && warnings)
      warnings->push_back(
          fmt::format("text \"{}\" is longer than the text encoder's {} tokens: truncated", t, context_));
    rows.push_back(e.embedding);
  }
  return at::stack(rows);
}

}  // namespace argus::tasks
