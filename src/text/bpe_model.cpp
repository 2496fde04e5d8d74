#include "text/bpe_model.h"

#include <algorithm>
#include <cstdint>
#include <queue>

#include <fmt/format.h>

#include "text/utf8.h"
#include "util/error.h"

namespace argus::text {
namespace {

constexpr size_t kCacheCapacity = 1 << 16;
constexpr size_t kCacheMaxWord = 256;

uint64_t pair_key(int64_t a, int64_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

}  // namespace

BpeModel::BpeModel(Vocab vocab, const Merges& merges, BpeOptions options, const std::string& what)
    : vocab_(std::move(vocab)), opt_(std::move(options)) {
  int64_t max_id = -1;
  for (auto& [tok, id] : vocab_) {
    if (id < 0 || id > INT32_MAX) fail("{}: token id {} of \"{}\" is out of range", what, id, tok);
    max_id = std::max(max_id, id);
  }
  id_to_token_.resize(static_cast<size_t>(max_id + 1));
  has_id_.assign(static_cast<size_t>(max_id + 1), false);
  for (auto& [tok, id] : vocab_) {
    id_to_token_[id] = tok;
    has_id_[id] = true;
  }
  merges_.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    auto ia = vocab_.find(a), ib = vocab_.find(b), in = vocab_.find(a + b);
    if (ia == vocab_.end() || ib == vocab_.end() || in == vocab_.end())
      fail("{}: merge {} (\"{} {}\") uses a token that is not in the vocabulary", what, r + 1, a, b);
    // A repeated pair keeps its last rank, as the reference's map insert does.
    merges_[pair_key(ia->second, ib->second)] = {static_cast<int32_t>(r), static_cast<int32_t>(in->second)};
  }
  if (!opt_.unk_token.empty()) {
    auto it = vocab_.find(opt_.unk_token);
    if (it != vocab_.end()) unk_id_ = it->second;
  }
  for (int b = 0; b < 256; ++b) byte_ids_[b] = token_to_id(fmt::format("<0x{:02X}>", b));
}

int64_t BpeModel::token_to_id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  return it == vocab_.end() ? -1 : it->second;
}

const std::string* BpeModel::id_to_token(int64_t id) const {
  if (id < 0 || id >= id_limit() || !has_id_[id]) return nullptr;
  return &id_to_token_[id];
}

void BpeModel::encode_word(std::string_view word, std::vector<int64_t>& out) const {
  if (word.empty()) return;
  if (opt_.ignore_merges) {
    int64_t id = token_to_id(word);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  std::string key(word);
  if (word.size() < kCacheMaxWord) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int64_t> ids;
  merge_word(word, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (word.size() < kCacheMaxWord) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.size() < kCacheCapacity) cache_.emplace(std::move(key), std::move(ids));
  }
}

void BpeModel::merge_word(std::string_view w, std::vector<int64_t>& out) const {
  // Initial symbols: one per character (with prefix/suffix), else byte fallback, else unk.
  std::vector<int64_t> syms;
  syms.reserve(w.size());
  int64_t pending_unk = -1;
  std::string s;
  size_t i = 0;
  while (i < w.size()) {
    size_t start = i;
    next_codepoint(w, i);
    bool first = start == 0, last = i >= w.size();
    s.clear();
    if (!first) s += opt_.continuing_subword_prefix;
    s.append(w.substr(start, i - start));
    if (last) s += opt_.end_of_word_suffix;
    int64_t id = token_to_id(s);
    if (id >= 0) {
      if (pending_unk >= 0) syms.push_back(pending_unk), pending_unk = -1;
      syms.push_back(id);
      continue;
    }
    if (opt_.byte_fallback) {
      bool all = true;
      for (unsigned char b : s) all = all && byte_ids_[b] >= 0;
      if (all) {
        // A pending unk stays pending across fallback bytes, as in the reference.
        for (unsigned char b : s) syms.push_back(byte_ids_[b]);
        continue;
      }
    }
    if (unk_id_ >= 0) {
      if (pending_unk >= 0 && !opt_.fuse_unk) syms.push_back(pending_unk);
      pending_unk = unk_id_;
    }
  }
  if (pending_unk >= 0) syms.push_back(pending_unk);

  const size_t n = syms.size();
  std::vector<int32_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (size_t k = 0; k < n; ++k) {
    prev[k] = static_cast<int32_t>(k) - 1;
    next[k] = k + 1 < n ? static_cast<int32_t>(k + 1) : -1;
  }
  struct Cand {
    int32_t rank, pos, new_id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> q;
  auto push = [&](int32_t pos) {
    int32_t nx = next[pos];
    if (nx < 0) return;
    auto it = merges_.find(pair_key(syms[pos], syms[nx]));
    if (it != merges_.end()) q.push({it->second.first, pos, it->second.second});
  };
  for (size_t k = 0; k + 1 < n; ++k) push(static_cast<int32_t>(k));
  while (!q.empty()) {
    Cand c = q.top();
    q.pop();
    if (!alive[c.pos] || next[c.pos] < 0) continue;
    int32_t nx = next[c.pos];
    auto it = merges_.find(pair_key(syms[c.pos], syms[nx]));
    if (it == merges_.end() || it->second.second != c.new_id) continue;  // stale entry
    syms[c.pos] = c.new_id;
    alive[nx] = false;
    next[c.pos] = next[nx];
    if (next[nx] >= 0) prev[next[nx]] = c.pos;
    if (prev[c.pos] >= 0) push(prev[c.pos]);
    push(c.pos);
  }
  for (size_t k = 0; k < n; ++k)
    if (alive[k]) out.push_back(syms[k]);
}

}  // namespace argus::text
