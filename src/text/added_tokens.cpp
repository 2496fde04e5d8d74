#include "text/added_tokens.h"

#include <algorithm>

#include "text/unicode.h"
#include "text/utf8.h"

namespace argus::text {
namespace {

// Code point ending just before byte offset `end` (text is valid UTF-8).
char32_t codepoint_before(std::string_view s, size_t end, size_t& start) {
  start = end;
  do {
    --start;
  } while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80);
  size_t i = start;
  return next_codepoint(s, i);
}

}  // namespace

void AddedTokenMatcher::add(const AddedToken& t) {
  if (t.content.empty()) return;
  for (auto& e : tokens_)
    if (e.content == t.content) {
      e = t;
      return;
    }
  tokens_.push_back(t);
  auto& bucket = by_first_[static_cast<unsigned char>(t.content[0])];
  bucket.push_back(tokens_.size() - 1);
  std::stable_sort(bucket.begin(), bucket.end(),
                   [&](size_t a, size_t b) { return tokens_[a].content.size() > tokens_[b].content.size(); });
}

std::vector<AddedTokenMatcher::Segment> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<Segment> out;
  size_t text_start = 0;  // start of the pending ordinary text
  size_t i = 0;
  while (i < text.size()) {
    const AddedToken* hit = nullptr;
    auto b = by_first_.find(static_cast<unsigned char>(text[i]));
    if (b != by_first_.end()) {
      for (size_t k : b->second) {
        const auto& t = tokens_[k];
        if (text.compare(i, t.content.size(), t.content) != 0) continue;
        if (t.single_word) {
          size_t ps;
          bool word_before = i > 0 && is_word_char(codepoint_before(text, i, ps));
          size_t e = i + t.content.size(), j = e;
          bool word_after = e < text.size() && is_word_char(next_codepoint(text, j));
          if (word_before || word_after) continue;
        }
        hit = &t;
        break;
      }
    }
    if (!hit) {
      next_codepoint(text, i);
      continue;
    }
    size_t begin = i, end = i + hit->content.size();
    if (hit->lstrip) {
      while (begin > text_start) {
        size_t ps;
        if (!is_unicode_whitespace(codepoint_before(text, begin, ps))) break;
        begin = ps;
      }
    }
    if (hit->rstrip) {
      while (end < text.size()) {
        size_t j = end;
        if (!is_unicode_whitespace(next_codepoint(text, j))) break;
        end = j;
      }
    }
    if (begin > text_start) out.push_back({text_start, begin, -1});
    out.push_back({begin, end, hit->id});
    text_start = i = end;
  }
  if (text_start < text.size()) out.push_back({text_start, text.size(), -1});
  return out;
}

}  // namespace argus::text
