#include "tasks/ground/phrases.h"

#include "util/error.h"

namespace argus::tasks {

std::string trim_space(const std::string& s) {
  const char* space = " \t\r\n\f\v";
  size_t a = s.find_first_not_of(space);
  return a == std::string::npos ? std::string() : s.substr(a, s.find_last_not_of(space) - a + 1);
}

std::vector<std::string> split_phrases(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('.', start);
    if (end == std::string::npos) end = text.size();
    std::string piece = trim_space(text.substr(start, end - start));
    if (!piece.empty()) out.push_back(std::move(piece));
    start = end + 1;
  }
  if (out.empty()) fail("no phrase to ground in \"{}\": give phrases separated by '.', e.g. \"a dog. a cat.\"", text);
  return out;
}

}  // namespace argus::tasks
