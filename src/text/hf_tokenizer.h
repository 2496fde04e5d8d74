// A Hugging Face tokenizer.json with a BPE model: normaliser, pre-tokenizer, BPE (byte-level or
// SentencePiece-style with byte fallback), added tokens, post-processor and decoder, each step
// as the reference `tokenizers` library runs it.
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/added_tokens.h"
#include "text/bpe_model.h"
#include "text/hf_decoder.h"
#include "text/hf_normalizer.h"
#include "text/hf_pre_tokenizer.h"
#include "text/tokenizer.h"
#include "text/tokenizer_config.h"

namespace argus::text {

class HfTokenizer : public Tokenizer {
 public:
  static std::unique_ptr<HfTokenizer> from_file(const std::string& tokenizer_json, const TokenizerConfig& cfg = {});
  static std::unique_ptr<HfTokenizer> from_json(const nlohmann::json& j, const TokenizerConfig& cfg, const std::string& what);
  // GPT-2 style byte-level BPE from vocab.json + merges.txt, for checkpoints without tokenizer.json.
  static std::unique_ptr<HfTokenizer> from_vocab_merges(const std::string& vocab_json, const std::string& merges_txt,
                                                        const TokenizerConfig& cfg = {});

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
  HfTokenizer() = default;
  void encode_segment(std::string_view text, bool at_start, std::vector<int64_t>& out) const;
  std::string decode_impl(const std::vector<int64_t>& ids, bool skip_special, bool raw) const;
  const std::string* token_of(int64_t id) const;

  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<int64_t> prefix_, suffix_;  // what the post-processor puts around a sequence
  AddedTokenMatcher raw_matcher_, normalized_matcher_;
  std::unordered_map<int64_t, AddedToken> added_;
  std::unordered_map<std::string, int64_t> added_ids_;
  int64_t bos_ = -1, eos_ = -1, pad_ = -1;
};

}  // namespace argus::text
