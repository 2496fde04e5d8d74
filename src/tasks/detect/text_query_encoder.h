// Text queries -> OWL-ViT query embeddings, with a cache so that detecting in a second
// image with the same queries encodes nothing, and bounded batches so that hundreds of
// queries never become one huge text-tower forward pass.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <ATen/ATen.h>

#include "text/tokenizer.h"

namespace argus::tasks {

class TextQueryEncoder {
 public:
  // Runs the text tower on a padded batch: ids [N, L], mask [N, L] -> embeddings [N, E].
  using TowerFn = std::function<at::Tensor(const at::Tensor& ids, const at::Tensor& mask)>;

  // `context` is the tower's position count (longer texts are truncated); `pad_id` fills
  // the batch after each text's end (masked out, so its value does not change results).
  TextQueryEncoder(std::unique_ptr<text::Tokenizer> tokenizer, TowerFn tower, int64_t context, int64_t pad_id,
                   int64_t max_batch = 64, size_t max_cache = 4096);

  // One row per text, in order. Texts not in the cache are encoded in batches of at most
  // max_batch. A text longer than the context is truncated (keeping its end-of-text token)
  // and a warning naming it is appended to `warnings` (if given), cached or not; empty
  // texts are errors.
  at::Tensor embed(const std::vector<std::string>& texts, std::vector<std::string>* warnings = nullptr);

  int64_t tower_calls() const { return tower_calls_; }      // forward passes of the text tower
  int64_t texts_encoded() const { return texts_encoded_; }  // texts that missed the cache
  int64_t max_batch() const { return max_batch_; }
  void clear_cache() { cache_.clear(); }

 private:
  struct Entry {
    at::Tensor embedding;  // [E]
    bool truncated = false;
  };
  std::vector<int64_t> tokenize(const std::string& text, bool& truncated) const;

  std::unique_ptr<text::Tokenizer> tokenizer_;
  TowerFn tower_;
  int64_t context_, pad_id_, max_batch_;
  size_t max_cache_;
  std::unordered_map<std::string, Entry> cache_;
  int64_t tower_calls_ = 0, texts_encoded_ = 0;
};

}  // namespace argus::tasks
