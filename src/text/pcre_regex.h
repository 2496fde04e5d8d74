// PCRE2 (UTF + Unicode properties) for the split/replace patterns of tokenizer.json files,
// which are written for Oniguruma; the constructs they use (\p{L}, (?i:), (?!\S)) mean the
// same in PCRE2.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace argus::text {

using Span = std::pair<size_t, size_t>;  // [begin, end) in bytes

class Regex {
 public:
  // `what` names the pattern's origin in the error if it does not compile.
  Regex(const std::string& pattern, const std::string& what);
  // Pattern matching `literal` exactly.
  static Regex literal(const std::string& literal, const std::string& what);
  ~Regex();
  Regex(Regex&& o) noexcept;
  Regex& operator=(Regex&&) = delete;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Non-overlapping matches left to right. Like the onig iterator the reference uses, an empty
  // match right where the previous match ended is skipped. Text must be valid UTF-8.
  std::vector<Span> find_all(std::string_view text) const;
  std::string replace_all(std::string_view text, std::string_view with) const;

 private:
  struct Code;
  Code* code_ = nullptr;
};

}  // namespace argus::text
