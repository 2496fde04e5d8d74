#include "text/python_call.h"

#include <cctype>
#include <utility>

namespace argus::text {

namespace {

using ordered = nlohmann::ordered_json;

class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}

  void space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  bool eat_word(const std::string& w) {
    space();
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }
  bool done() {
    space();
    return i_ == s_.size();
  }
  std::optional<std::string> identifier() {
    space();
    const size_t b = i_;
    if (i_ >= s_.size() || !(std::isalpha(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) return std::nullopt;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
    return s_.substr(b, i_ - b);
  }
  // A Python literal as JSON; nullopt for anything else.
  std::optional<ordered> literal() {
    space();
    if (i_ >= s_.size()) return std::nullopt;
    const char c = s_[i_];
    if (c == '"' || c == '\'') return string_literal(c);
    for (const auto& [word, value] : {std::pair<const char*, ordered>{"True", true}, {"False", false}, {"None", nullptr}})
      if (keyword(word)) return value;
    return number();
  }

 private:
  bool keyword(const std::string& w) {
    if (s_.compare(i_, w.size(), w) != 0) return false;
    const size_t e = i_ + w.size();
    if (e < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) return false;
    i_ = e;
    return true;
  }
  std::optional<ordered> string_literal(char quote) {
    std::string out;
    for (++i_; i_ < s_.size(); ++i_) {
      char c = s_[i_];
      if (c == quote) return ++i_, ordered(out);
      if (c == '\n') return std::nullopt;  // a plain string literal cannot span lines
      if (c != '\\') {
        out += c;
        continue;
      }
      if (++i_ >= s_.size()) return std::nullopt;
      switch (s_[i_]) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '0': out += '\0'; break;
        case '\\': case '\'': case '"': out += s_[i_]; break;
        default: out += '\\', out += s_[i_];  // Python keeps unknown escapes as written
      }
    }
    return std::nullopt;
  }
  // Digits with an optional sign, point and exponent, read by JSON's stricter grammar:
  // what it rejects (1_000, .5, 0x10) is not a call.
  std::optional<ordered> number() {
    const size_t b = i_;
    auto numeric = [&](size_t k) {
      const char c = s_[k];
      return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
             ((c == '-' || c == '+') && (k == b || s_[k - 1] == 'e' || s_[k - 1] == 'E'));
    };
    while (i_ < s_.size() && numeric(i_)) ++i_;
    std::string text = s_.substr(b, i_ - b);
    if (!text.empty() && text[0] == '+') text.erase(0, 1);
    ordered j = ordered::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_number()) return std::nullopt;
    return j;
  }

  const std::string& s_;
  size_t i_ = 0;
};

}  // namespace

std::optional<PythonCall> parse_python_call(const std::string& text) {
  Reader r(text);
  PythonCall call;
  auto name = r.identifier();
  if (!name || !r.eat('.') || !r.eat_word("call") || !r.eat('(')) return std::nullopt;
  call.name = *name;
  call.arguments = ordered::object();
  // name=literal, ... with Python's optional trailing comma.
  if (!r.eat(')')) {
    for (;;) {
      auto key = r.identifier();
      if (!key || call.arguments.contains(*key) || !r.eat('=')) return std::nullopt;
      auto value = r.literal();
      if (!value) return std::nullopt;
      call.arguments[*key] = std::move(*value);
      if (r.eat(')')) break;
      if (!r.eat(',')) return std::nullopt;
      if (r.eat(')')) break;
    }
  }
  if (!r.done()) return std::nullopt;
  // Strings must be UTF-8 to become JSON; a literal that is not is not a call.
  try {
    (void)call.arguments.dump();
  } catch (const nlohmann::json::type_error&) {
    return std::nullopt;
  }
  return call;
}

}  // namespace argus::text
