#include "text/constrain/vocab_trie.h"

#include <algorithm>

#include "text/tokenizer.h"
#include "util/error.h"

namespace argus::text::constrain {

std::vector<std::string> vocabulary_bytes(const Tokenizer& tok) {
  const int64_t n = tok.vocab_size();
  std::vector<std::string> out(static_cast<size_t>(n));
  // Decoded after an anchor token and minus the anchor's own text: SentencePiece drops a
  // piece's leading space at the very start of a text, never after other text.
  std::vector<int64_t> anchor = tok.encode("a", false);
  const std::string anchor_text = anchor.empty() ? "" : tok.decode_bytes({anchor.back()}, false);
  for (int64_t id = 0; id < n; ++id) {
    if (tok.is_special(id)) continue;
    std::string s;
    if (anchor.empty()) {
      s = tok.decode_bytes({id}, false);
    } else {
      s = tok.decode_bytes({anchor.back(), id}, false);
      if (s.compare(0, anchor_text.size(), anchor_text) != 0) continue;  // not concatenative: never allowed
      s.erase(0, anchor_text.size());
    }
    out[static_cast<size_t>(id)] = std::move(s);
  }
  return out;
}

VocabTrie::VocabTrie(const std::vector<std::string>& token_bytes) : bytes_(token_bytes) {
  nodes_.emplace_back();
  for (size_t id = 0; id < token_bytes.size(); ++id) {
    const std::string& b = token_bytes[id];
    if (b.empty()) continue;
    int32_t cur = 0;
    for (unsigned char c : b) {
      auto& kids = nodes_[static_cast<size_t>(cur)].kids;
      auto it = std::find_if(kids.begin(), kids.end(), [&](const auto& k) { return k.first == c; });
      if (it != kids.end()) {
        cur = it->second;
      } else {
        const auto next = static_cast<int32_t>(nodes_.size());
        kids.emplace_back(c, next);
        nodes_.emplace_back();  // may move `kids`: not used after this
        cur = next;
      }
    }
    nodes_[static_cast<size_t>(cur)].ends.push_back(static_cast<int32_t>(id));
  }
}

void VocabTrie::visit(int32_t node, const JsonMatcher& m, std::vector<uint8_t>& allowed) const {
  for (const auto& [c, child] : nodes_[static_cast<size_t>(node)].kids) {
    JsonMatcher next = m;
    if (!next.advance(c)) continue;
    for (int32_t id : nodes_[static_cast<size_t>(child)].ends) allowed[static_cast<size_t>(id)] = 1;
    visit(child, next, allowed);
  }
}

void VocabTrie::mark_allowed(const JsonMatcher& m, std::vector<uint8_t>& allowed) const {
  if (allowed.size() < bytes_.size()) allowed.resize(bytes_.size(), 0);
  visit(0, m, allowed);
}

void JsonTokenConstraint::next_allowed(std::vector<uint8_t>& allowed, bool& may_end) {
  std::fill(allowed.begin(), allowed.end(), 0);
  may_end = matcher_.can_end();
  if (!matcher_.must_end()) vocab_->mark_allowed(matcher_, allowed);
}

void JsonTokenConstraint::accept(int64_t id) {
  if (id < 0 || static_cast<size_t>(id) >= vocab_->size() || !matcher_.advance(vocab_->bytes(id)))
    fail("constrained decoding: token {} is not allowed here", id);
}

}  // namespace argus::text::constrain
