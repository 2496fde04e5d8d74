// The vocabulary as a byte trie of what each token adds to the text (byte-level BPE and
// SentencePiece pieces alike, via vocabulary_bytes), so a grammar mask walks shared
// prefixes once: a subtree whose first bytes the grammar refuses is never visited.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "text/constrain/json_schema_grammar.h"
#include "text/constrain/token_constraint.h"

namespace argus::text {
class Tokenizer;
}

namespace argus::text::constrain {

// The bytes each id adds when it follows other text ("" for special tokens and ids the
// tokenizer does not know: a grammar never allows them).
std::vector<std::string> vocabulary_bytes(const Tokenizer& tok);

class VocabTrie {
 public:
  explicit VocabTrie(const std::vector<std::string>& token_bytes);
  // allowed[id] = 1 for every token whose bytes `m` accepts whole (allowed is resized to
  // at least the vocabulary; other slots are left as they are).
  void mark_allowed(const JsonMatcher& m, std::vector<uint8_t>& allowed) const;
  const std::string& bytes(int64_t id) const { return bytes_[static_cast<size_t>(id)]; }
  size_t size() const { return bytes_.size(); }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> kids;
    std::vector<int32_t> ends;  // ids whose bytes end here
  };
  void visit(int32_t node, const JsonMatcher& m, std::vector<uint8_t>& allowed) const;
  std::vector<Node> nodes_;
  std::vector<std::string> bytes_;
};

// A JSON grammar over a vocabulary, as generation's TokenConstraint.
class JsonTokenConstraint : public TokenConstraint {
 public:
  JsonTokenConstraint(std::shared_ptr<const JsonGrammar> g, std::shared_ptr<const VocabTrie> vocab)
      : matcher_(std::move(g)), vocab_(std::move(vocab)) {}
  void next_allowed(std::vector<uint8_t>& allowed, bool& may_end) override;
  void accept(int64_t id) override;
  const JsonMatcher& matcher() const { return matcher_; }

 private:
  JsonMatcher matcher_;
  std::shared_ptr<const VocabTrie> vocab_;
};

}  // namespace argus::text::constrain
