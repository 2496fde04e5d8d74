#include "text/jinja/lexer.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "text/jinja/error.h"
#include "text/utf8.h"

namespace argus::text::jinja {
namespace {

// Jinja turns \r\n and \r into \n before lexing and drops one trailing newline.
std::string normalize_newlines(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;  // the text about to be read starts a line (for lstrip_blocks)
    while (pos < src_.size()) {
      size_t open = find_open(pos);
      if (open == std::string::npos) {
        emit_text(src_.substr(pos), pos);
        break;
      }
      std::string text = src_.substr(pos, open - pos);
      char kind = src_[open + 1];  // '{', '%' or '#'
      char sign = open + 2 < src_.size() ? src_[open + 2] : '\0';
      if (sign == '-') {
        text.erase(std::find_if_not(text.rbegin(), text.rend(), is_space).base(), text.end());
      } else if (sign != '+' && kind != '{') {
        // lstrip_blocks: only spaces between the line start and a block/comment tag go.
        size_t lpos = text.rfind('\n');
        lpos = lpos == std::string::npos ? 0 : lpos + 1;
        if ((lpos > 0 || line_starting) &&
            std::all_of(text.begin() + lpos, text.end(), [](char c) { return is_space(c) && c != '\n'; }))
          text.erase(lpos);
      }
      emit_text(text, pos);
      size_t body = open + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      size_t end;         // index just past the closing tag
      bool strip_after;   // closing tag had '-'
      if (kind == '#') {
        size_t close = src_.find("#}", body);
        if (close == std::string::npos) fail(open, "unclosed comment '{{#'");
        strip_after = close > body && src_[close - 1] == '-';
        end = close + 2;
      } else {
        end = lex_tag(kind, open, body, strip_after);
      }
      // Whitespace after the tag: '-' drops all of it; trim_blocks drops one newline after a
      // block or comment tag.
      size_t after = end;
      if (strip_after) {
        while (after < src_.size() && is_space(src_[after])) ++after;
      } else if (kind != '{' && after < src_.size() && src_[after] == '\n') {
        ++after;
      }
      line_starting = after > end ? src_[after - 1] == '\n' : false;
      pos = after;
    }
    Token eof;
    eof.type = Tok::Eof;
    set_pos(eof, src_.size());
    out_.push_back(eof);
    return std::move(out_);
  }

 private:
  size_t find_open(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return std::string::npos;
  }

  void set_pos(Token& t, size_t pos) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos);
    size_t line = static_cast<size_t>(it - line_starts_.begin());
    t.line = static_cast<int>(line);
    t.col = static_cast<int>(pos - line_starts_[line - 1] + 1);
  }

  template <typename... Args>
  [[noreturn]] void fail(size_t pos, fmt::format_string<Args...> f, Args&&... args) const {
    Token t;
    set_pos(t, pos);
    fail_at(t.line, t.col, f, std::forward<Args>(args)...);
  }

  void emit_text(const std::string& text, size_t pos) {
    if (text.empty()) return;
    Token t;
    t.type = Tok::Text;
    t.text = text;
    set_pos(t, pos);
    out_.push_back(std::move(t));
  }

  void emit(Tok type, std::string text, size_t pos) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    set_pos(t, pos);
    out_.push_back(std::move(t));
  }

  // Expression tokens of one {{ }} or {% %} tag; returns the index past its closing marker.
  size_t lex_tag(char kind, size_t open, size_t i, bool& strip_after) {
    const char close_ch = kind == '{' ? '}' : '%';
    emit(kind == '{' ? Tok::VarBegin : Tok::BlockBegin, "", open);
    int depth = 0;  // open brackets: a '}}' inside a dict literal does not close the tag
    for (;;) {
      while (i < src_.size() && is_space(src_[i])) ++i;
      if (i >= src_.size())
        fail(open, "unclosed '{}' (no matching '{}')", kind == '{' ? "{{" : "{%", kind == '{' ? "}}" : "%}");
      char c = src_[i];
      if (depth == 0) {
        if (c == '-' && i + 2 < src_.size() && src_[i + 1] == close_ch && src_[i + 2] == '}') {
          strip_after = true;
          emit(kind == '{' ? Tok::VarEnd : Tok::BlockEnd, "", i);
          return i + 3;
        }
        if (c == close_ch && i + 1 < src_.size() && src_[i + 1] == '}') {
          strip_after = false;
          emit(kind == '{' ? Tok::VarEnd : Tok::BlockEnd, "", i);
          return i + 2;
        }
      }
      if (is_name_start(c)) {
        size_t s = i;
        while (i < src_.size() && (is_name_start(src_[i]) || is_digit(src_[i]))) ++i;
        emit(Tok::Name, src_.substr(s, i - s), s);
      } else if (is_digit(c)) {
        i = lex_number(i);
      } else if (c == '\'' || c == '"') {
        i = lex_string(i);
      } else {
        static const char* const kOps[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<",
                                           ">",  "=",  "(",  ")",  "[",  "]",  "{", "}", ".", ",", ":", "|"};
        const char* found = nullptr;
        for (const char* op : kOps)
          if (src_.compare(i, std::strlen(op), op) == 0) {
            found = op;
            break;
          }
        if (!found) {
          size_t j = i;
          char32_t cp = is_valid_utf8(std::string_view(src_).substr(i, std::min<size_t>(4, src_.size() - i)))
                            ? next_codepoint(src_, j)
                            : static_cast<unsigned char>(c);
          fail(i, "unexpected character U+{:04X} in a tag", static_cast<uint32_t>(cp));
        }
        if (*found == '(' || *found == '[' || *found == '{') ++depth;
        if ((*found == ')' || *found == ']' || *found == '}') && depth > 0) --depth;
        emit(Tok::Op, found, i);
        i += std::strlen(found);
      }
    }
  }

  size_t lex_number(size_t i) {
    size_t s = i;
    std::string digits;
    bool is_float = false;
    auto take_digits = [&] {
      while (i < src_.size() && (is_digit(src_[i]) || (src_[i] == '_' && i + 1 < src_.size() && is_digit(src_[i + 1])))) {
        if (src_[i] != '_') digits += src_[i];
        ++i;
      }
    };
    take_digits();
    if (i + 1 < src_.size() && src_[i] == '.' && is_digit(src_[i + 1])) {
      is_float = true;
      digits += src_[i++];
      take_digits();
    }
    if (i < src_.size() && (src_[i] == 'e' || src_[i] == 'E')) {
      size_t j = i + 1;
      if (j < src_.size() && (src_[j] == '+' || src_[j] == '-')) ++j;
      if (j < src_.size() && is_digit(src_[j])) {
        is_float = true;
        digits += src_.substr(i, j - i);
        i = j;
        take_digits();
      }
    }
    Token t;
    set_pos(t, s);
    t.text = digits;
    if (is_float) {
      t.type = Tok::Float;
      t.fval = std::strtod(digits.c_str(), nullptr);
    } else {
      t.type = Tok::Int;
      errno = 0;
      unsigned long long v = std::strtoull(digits.c_str(), nullptr, 10);
      if (errno != 0 || v > static_cast<unsigned long long>(INT64_MAX)) fail(s, "integer literal {} is too large", digits);
      t.ival = static_cast<int64_t>(v);
    }
    out_.push_back(std::move(t));
    return i;
  }

  // Python string literal escapes (what Jinja applies to string literals).
  size_t lex_string(size_t i) {
    size_t s = i;
    char q = src_[i++];
    std::string val;
    for (;;) {
      if (i >= src_.size()) fail(s, "unterminated string literal");
      char c = src_[i++];
      if (c == q) break;
      if (c != '\\') {
        val += c;
        continue;
      }
      if (i >= src_.size()) fail(s, "unterminated string literal");
      char e = src_[i++];
      switch (e) {
        case 'n': val += '\n'; break;
        case 't': val += '\t'; break;
        case 'r': val += '\r'; break;
        case '0': val += '\0'; break;
        case 'a': val += '\a'; break;
        case 'b': val += '\b'; break;
        case 'f': val += '\f'; break;
        case 'v': val += '\v'; break;
        case '\\': val += '\\'; break;
        case '\'': val += '\''; break;
        case '"': val += '"'; break;
        case '\n': break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + n > src_.size()) fail(i - 2, "truncated \\{} escape in a string literal", e);
          char32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            char h = src_[i + k];
            int d = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
            if (d < 0) fail(i - 2, "bad \\{} escape in a string literal", e);
            cp = cp * 16 + static_cast<char32_t>(d);
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) fail(i - 2, "escape \\{} is not a valid code point", e);
          append_utf8(val, cp);
          i += n;
          break;
        }
        default:  // Python keeps unknown escapes as they are
          val += '\\';
          val += e;
      }
    }
    Token t;
    t.type = Tok::String;
    t.text = std::move(val);
    set_pos(t, s);
    out_.push_back(std::move(t));
    return i;
  }

  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source) { return Lexer(normalize_newlines(source)).run(); }

}  // namespace argus::text::jinja
