// Byte-pair-encoding merges over one pre-tokenized word, as the reference `BPE` model does them:
// lowest merge rank first, leftmost on ties; optional end-of-word suffix (CLIP's `</w>`),
// byte fallback (`<0xNN>`), unknown token and `ignore_merges`. Results are cached per word.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace argus::text {

struct BpeOptions {
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  std::string unk_token;  // empty: characters missing from the vocabulary are dropped
  bool byte_fallback = false;
  bool fuse_unk = false;
  bool ignore_merges = false;
};

class BpeModel {
 public:
  using Vocab = std::unordered_map<std::string, int64_t>;
  using Merges = std::vector<std::pair<std::string, std::string>>;

  // `what` names the source in errors (a merge naming a token missing from the vocabulary).
  BpeModel(Vocab vocab, const Merges& merges, BpeOptions options, const std::string& what);

  // Appends the ids of one word (already in the vocabulary's alphabet, e.g. byte-level).
  void encode_word(std::string_view word, std::vector<int64_t>& out) const;

  int64_t token_to_id(std::string_view token) const;  // -1 if absent
  const std::string* id_to_token(int64_t id) const;   // nullptr if absent
  int64_t id_limit() const { return static_cast<int64_t>(id_to_token_.size()); }
  size_t size() const { return vocab_.size(); }

 private:
  void merge_word(std::string_view word, std::vector<int64_t>& out) const;

  Vocab vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_id_;
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;  // (left,right) -> (rank, new id)
  BpeOptions opt_;
  int64_t unk_id_ = -1;
  int64_t byte_ids_[256];

  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<int64_t>> cache_;
};

}  // namespace argus::text
