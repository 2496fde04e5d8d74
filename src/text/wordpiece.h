// BERT's WordPiece tokenizer (bert-base-uncased and the Grounding DINO text
// encoder): basic tokenization — drop control characters, map whitespace to
// spaces, pad CJK ideographs with spaces, lowercase and strip accents (uncased),
// split on whitespace and around every punctuation character — then greedy
// longest-match-first WordPiece with "##" marking word-internal pieces; a word
// that cannot be covered (or is longer than max_input_chars_per_word) becomes
// [UNK]. Torch-free: it reads untrusted files.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "text/tokenizer.h"

namespace argus::text {

struct WordPieceOptions {
  bool lowercase = true;       // BertNormalizer.lowercase / do_lower_case
  bool strip_accents = true;   // defaults to `lowercase` in the reference
  bool chinese_chars = true;   // handle_chinese_chars / tokenize_chinese_chars
  bool clean_text = true;
  std::string prefix = "##";   // continuing_subword_prefix
  size_t max_input_chars_per_word = 100;
  std::string unk = "[UNK]", cls = "[CLS]", sep = "[SEP]", pad = "[PAD]", mask = "[MASK]";
};

class WordPieceTokenizer : public Tokenizer {
 public:
  // vocab: token -> id (ids need not be dense). Throws if the unknown token is missing.
  WordPieceTokenizer(std::unordered_map<std::string, int64_t> vocab, WordPieceOptions opts = {});

  // vocab.txt: one token per line, id = line number. A sibling tokenizer_config.json
  // may set do_lower_case / strip_accents / tokenize_chinese_chars.
  static std::unique_ptr<WordPieceTokenizer> from_vocab_txt(const std::string& path);
  // tokenizer.json whose model is {"type": "WordPiece", "vocab": {...}} (with its BertNormalizer options).
  static std::unique_ptr<WordPieceTokenizer> from_tokenizer_json(const std::string& path);

  // The basic tokenizer's words (normalised, split), before WordPiece.
  std::vector<std::string> basic_tokenize(const std::string& text) const;
  // WordPiece pieces of one basic word.
  std::vector<std::string> wordpiece(const std::string& word) const;

  // add_special wraps the ids in [CLS] … [SEP].
  std::vector<int64_t> encode(const std::string& text, bool add_special = true) const override;
  // Tokens joined by spaces with " ##" glued back, as BertTokenizer.decode does.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special = true) const override;
  std::string decode_bytes(const std::vector<int64_t>& ids, bool skip_special = true) const override {
    return decode(ids, skip_special);
  }
  std::vector<std::string> tokens(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return size_; }
  int64_t bos_id() const override { return token_to_id(opts_.cls); }
  int64_t eos_id() const override { return token_to_id(opts_.sep); }
  int64_t pad_id() const override { return token_to_id(opts_.pad); }
  int64_t token_to_id(const std::string& token) const override;
  bool is_special(int64_t id) const override;

 private:
  std::unordered_map<std::string, int64_t> vocab_;
  std::unordered_map<int64_t, std::string> by_id_;
  WordPieceOptions opts_;
  int64_t unk_id_ = -1;
  int64_t size_ = 0;
};

}  // namespace argus::text
