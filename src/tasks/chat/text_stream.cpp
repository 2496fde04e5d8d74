#include "tasks/chat/text_stream.h"

#include <algorithm>

namespace argus::tasks {

TextStream::TextStream(const text::Tokenizer& tok, std::vector<std::string> stop_strings)
    : decoder_(tok), stops_(std::move(stop_strings)) {
  stops_.erase(std::remove(stops_.begin(), stops_.end(), std::string()), stops_.end());
}

std::string TextStream::release(size_t n) {
  std::string out = pending_.substr(0, n);
  pending_.erase(0, n);
  text_ += out;
  return out;
}

std::string TextStream::push(int64_t id) {
  if (stopped_) return "";
  pending_ += decoder_.step(id);
  return scan(false);
}

std::string TextStream::scan(bool final) {
  size_t first = std::string::npos;
  for (const auto& s : stops_) first = std::min(first, pending_.find(s));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = release(first);
    pending_.clear();
    return out;
  }
  // Hold back the longest tail that is the start of some stop string.
  size_t hold = 0;
  if (!final)
    for (const auto& s : stops_)
      for (size_t k = std::min(s.size() - 1, pending_.size()); k > hold; --k)
        if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
          hold = k;
          break;
        }
  return release(pending_.size() - hold);
}

std::string TextStream::finish() {
  if (stopped_) return "";
  pending_ += decoder_.flush();
  return scan(true);
}

}  // namespace argus::tasks
