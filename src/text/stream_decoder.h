// Incremental detokenisation for generation: feed ids one at a time and get back only
// complete UTF-8 text. A character split across byte-level or byte-fallback tokens is held
// back until its last byte arrives; concatenating every step() and flush() gives decode(ids).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace argus::text {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tok, bool skip_special = true) : tok_(tok), skip_special_(skip_special) {}

  // The new complete text that `id` finishes (possibly empty).
  std::string step(int64_t id);
  // Whatever is still held back (an unfinished character becomes U+FFFD); resets the stream.
  std::string flush();
  void reset();

 private:
  const Tokenizer& tok_;
  bool skip_special_;
  // A short window of recent ids: decoding them together keeps context-dependent spacing
  // (SentencePiece's dropped leading space) right; emitted_ bytes of its decode are out.
  std::vector<int64_t> window_;
  size_t emitted_ = 0;
};

}  // namespace argus::text
