// CLIP's BPE tokenizer, matching the reference fast tokenizer: NFC, whitespace runs -> one
// space, lowercase; CLIP's split regex; byte-level mapping; BPE with `</w>` on each word's last
// symbol; <|startoftext|> ... <|endoftext|>. Loads from vocab.json + merges.txt, from a CLIP
// tokenizer.json, or from OpenAI's bpe_simple_vocab_16e6.txt.gz — all give the same ids.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/added_tokens.h"
#include "text/bpe_model.h"
#include "text/pcre_regex.h"
#include "text/tokenizer.h"
#include "text/tokenizer_config.h"

namespace argus::text {

class ClipBpeTokenizer : public Tokenizer {
 public:
  static std::unique_ptr<ClipBpeTokenizer> from_vocab_merges(const std::string& vocab_json, const std::string& merges_txt,
                                                             const TokenizerConfig& cfg = {});
  static std::unique_ptr<ClipBpeTokenizer> from_tokenizer_json(const std::string& path, const TokenizerConfig& cfg = {});
  static std::unique_ptr<ClipBpeTokenizer> from_tokenizer_json(const nlohmann::json& j, const TokenizerConfig& cfg,
                                                               const std::string& what);
  // The original release: the first line is a header, then 48894 merges; the vocabulary is
  // rebuilt the way CLIP's SimpleTokenizer does it (49408 tokens).
  static std::unique_ptr<ClipBpeTokenizer> from_bpe_gz(const std::string& path, const TokenizerConfig& cfg = {});
  // The same from the file's (inflated) text; `what` names it in errors.
  static std::unique_ptr<ClipBpeTokenizer> from_bpe_text(const std::string& text, const std::string& what,
                                                         const TokenizerConfig& cfg = {});
  // OpenAI's vocabulary as argus carries it (built in, see text/clip_vocab.h): the
  // tokenizer of clip.tokenize, for checkpoints that ship no tokenizer files.
  static std::unique_ptr<ClipBpeTokenizer> builtin();

  // Whether a tokenizer.json is CLIP's (BPE with `</w>` and the CLIP special tokens).
  static bool is_clip_tokenizer_json(const nlohmann::json& j);

  // encode() cut or padded to exactly max_len ids: a long text keeps EOS as its last id,
  // a short one is padded with pad_id() (EOS unless the checkpoint names another pad token).
  std::vector<int64_t> encode_padded(const std::string& text, size_t max_len = 77) const;

  std::vector<int64_t> encode(const std::string& text, bool add_special = true) const override;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special = true) const override;
  std::string decode_bytes(const std::vector<int64_t>& ids, bool skip_special = true) const override;
  std::vector<std::string> tokens(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override;
  int64_t bos_id() const override { return bos_; }
  int64_t eos_id() const override { return eos_; }
  int64_t pad_id() const override { return pad_; }
  int64_t token_to_id(const std::string& token) const override;
  bool is_special(int64_t id) const override;

 private:
  ClipBpeTokenizer(BpeModel::Vocab vocab, const BpeModel::Merges& merges, const TokenizerConfig& cfg,
                   const std::vector<AddedToken>& added, const std::string& what);
  void encode_text(std::string_view text, std::vector<int64_t>& out) const;
  const std::string* token_of(int64_t id) const;

  BpeModel bpe_;
  Regex whitespace_;
  Regex split_;
  Regex gpt2_split_;
  AddedTokenMatcher matcher_;
  std::unordered_map<int64_t, AddedToken> added_;  // by id
  int64_t bos_ = -1, eos_ = -1, pad_ = -1;
};

}  // namespace argus::text
