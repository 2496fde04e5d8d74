// SentencePiece models (tokenizer.model, e.g. Llama/LLaVA) through the native SpmModel (argus does
// not link libsentencepiece: its private protobuf runtime collides with LibTorch's), plus what
// the reference wraps around it: added tokens from tokenizer_config.json (matched before
// SentencePiece sees the text), add_bos/add_eos (Llama default: BOS yes, EOS no), and the
// decoder of the reference fast tokenizer (▁ -> space, byte pieces, one leading space dropped).
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "text/added_tokens.h"
#include "text/spm_model.h"
#include "text/tokenizer.h"
#include "text/tokenizer_config.h"

namespace argus::text {

class SpmTokenizer : public Tokenizer {
 public:
  static std::unique_ptr<SpmTokenizer> from_file(const std::string& model_path, const TokenizerConfig& cfg = {});
  // `what` names the source in errors (a path).
  static std::unique_ptr<SpmTokenizer> from_model(SpmModel model, const TokenizerConfig& cfg, const std::string& what);
  ~SpmTokenizer() override;

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
  SpmTokenizer();
  void encode_segment(std::string_view text, bool at_start, std::vector<int64_t>& out) const;
  std::string decode_impl(const std::vector<int64_t>& ids, bool skip_special, bool raw) const;

  std::unique_ptr<SpmModel> sp_;
  std::string path_;
  AddedTokenMatcher matcher_;
  std::unordered_map<int64_t, AddedToken> added_;
  int64_t bos_ = -1, eos_ = -1, pad_ = -1, unk_ = -1;
  bool add_bos_ = true, add_eos_ = false;
  bool legacy_ = true;        // every segment between added tokens gets SentencePiece's "▁" prefix
  bool dummy_prefix_ = true;  // the text gets a leading "▁"; decoding drops it again
};

}  // namespace argus::text
