// Added / special tokens (`<image>`, `<|endoftext|>`, ...) are found in the raw text before
// any normalisation or pre-tokenisation and are never split: leftmost match wins, and the
// longest token among those starting there.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace argus::text {

struct AddedToken {
  std::string content;
  int64_t id = -1;
  bool special = true;
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // ... and on its right
  bool single_word = false;  // only matches when not inside a word
  bool normalized = false;   // matched against normalised text instead of raw text
};

class AddedTokenMatcher {
 public:
  void add(const AddedToken& t);
  bool empty() const { return tokens_.empty(); }

  struct Segment {
    size_t begin, end;
    int64_t id;  // -1: ordinary text
  };
  // Covers the whole text (valid UTF-8) with text segments and token matches; empty text
  // segments are left out.
  std::vector<Segment> split(std::string_view text) const;

 private:
  std::vector<AddedToken> tokens_;
  std::unordered_map<unsigned char, std::vector<size_t>> by_first_;  // longest first
};

}  // namespace argus::text
