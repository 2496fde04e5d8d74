#include "world/vocabulary.h"

#include <cctype>
#include <cstring>

#include "world/instruct.h"

namespace argus::world {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(std::move(word));
    word.clear();
  };
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else if (std::strchr(".,:;?!", c) && word != "<image") {
      flush();
      out.push_back(std::string(1, c));
    } else {
      word += c;
    }
  }
  flush();
  return out;
}

void add_words(const std::string& text, std::set<std::string>& vocabulary) {
  for (std::string& w : split_words(text))
    if (w != kImageToken) vocabulary.insert(std::move(w));
}

}  // namespace argus::world
