#include "tasks/ground/phrases.h"

#include "util/error.h"

namespace argus::tasks {

std::vector<std::string> split_phrases(const std::string& text) {
  const char* space = " \t\r\n\f\v";
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('.', start);
    if (end == std::string::npos) end = text.size();
    std::string piece = text.substr(start, end - start);
    size_t a = piece.find_first_not_of(space);
    if (a != std::string::npos) out.push_back(piece.substr(a, piece.find_last_not_of(space) - a + 1));
    start = end + 1;
  }
  if (out.empty()) fail("no phrase to ground in \"{}\": give phrases separated by '.', e.g. \"a dog. a cat.\"", text);
  return out;
}

}  // namespace argus::tasks
