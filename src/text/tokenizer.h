// The text tokenizer interface and the loader that picks an implementation from what a
// checkpoint ships (tokenizer.json, vocab.json + merges.txt, tokenizer.model, CLIP's .gz).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace argus::text {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Text must be valid UTF-8 (argus::Error otherwise). add_special adds what the reference's
  // add_special_tokens=True adds (BOS/EOS or the post-processor's template).
  virtual std::vector<int64_t> encode(const std::string& text, bool add_special = true) const = 0;

  // Always valid UTF-8; ids the tokenizer does not know are skipped, as the reference does.
  virtual std::string decode(const std::vector<int64_t>& ids, bool skip_special = true) const = 0;

  // decode() before the final UTF-8 repair: byte-level and byte-fallback tokens can end in
  // the middle of a character, which StreamDecoder needs to see.
  virtual std::string decode_bytes(const std::vector<int64_t>& ids, bool skip_special = true) const = 0;

  // Token strings as the reference's convert_ids_to_tokens shows them; argus::Error for an
  // unknown id.
  virtual std::vector<std::string> tokens(const std::vector<int64_t>& ids) const = 0;

  // One past the largest id, added tokens included (the reference's len(tokenizer)).
  virtual int64_t vocab_size() const = 0;
  virtual int64_t bos_id() const = 0;  // -1 if none
  virtual int64_t eos_id() const = 0;
  virtual int64_t pad_id() const = 0;
  virtual int64_t token_to_id(const std::string& token) const = 0;  // -1 if absent
  virtual bool is_special(int64_t id) const = 0;
};

// `path`: a checkpoint directory, a tokenizer.json, a tokenizer.model, or CLIP's
// bpe_simple_vocab_16e6.txt(.gz). A sibling tokenizer_config.json supplies added tokens,
// add_bos/add_eos and special tokens.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path);

// encode(text, true) cut to `max_len` ids for a fixed-context text tower. A sequence that
// ended in the end-of-text token keeps it in the last slot, as the references truncate:
// CLIP-style towers pool at that token. `truncated` (optional) says whether anything was cut.
std::vector<int64_t> encode_truncated(const Tokenizer& tok, const std::string& text, int64_t max_len,
                                      bool* truncated = nullptr);

}  // namespace argus::text
