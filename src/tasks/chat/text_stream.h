// Generated ids -> streamed UTF-8 text, with stop strings: text that could still turn
// into a stop string is held back, and a completed stop string ends the stream
// (it is not part of the text, as in OpenAI-style APIs).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "text/stream_decoder.h"

namespace argus::tasks {

class TextStream {
 public:
  TextStream(const text::Tokenizer& tok, std::vector<std::string> stop_strings);
  // The text that is safe to show after `id`; sets stopped() when a stop string completed.
  std::string push(int64_t id);
  // Whatever was held back (call at the end of generation).
  std::string finish();
  bool stopped() const { return stopped_; }
  const std::string& text() const { return text_; }  // everything returned so far

 private:
  std::string scan(bool final);  // stop check + hold-back over pending_
  std::string release(size_t n);
  text::StreamDecoder decoder_;
  std::vector<std::string> stops_;
  std::string pending_, text_;
  bool stopped_ = false;
};

}  // namespace argus::tasks
