#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/pcre_regex.h"

#include <cctype>

#include <pcre2.h>

#include "util/error.h"

namespace argus::text {

struct Regex::Code {
  pcre2_code* re = nullptr;
  std::string what;
};

namespace {

std::string pcre_message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof(buf));
  return reinterpret_cast<char*>(buf);
}

std::string quote(const std::string& s) {
  std::string out;
  for (char c : s) {
    // Escape every ASCII punctuation character; \Q..\E would break on a literal "\E".
    if (static_cast<unsigned char>(c) < 0x80 && !std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && c != '\n' &&
        c != '\t' && c != '\r' && c != '\0')
      out += '\\';
    if (c == '\0') {
      out += "\\x{0}";
      continue;
    }
    out += c;
  }
  return out;
}

// White_Space as Oniguruma (and Rust) define \s; PCRE2's \s also matches U+180E.
constexpr const char* kSpaceMembers = "\\t-\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

// Rewrites \s and \S so that the Oniguruma patterns of tokenizer.json files mean the same here.
std::string onig_to_pcre(const std::string& p) {
  std::string out;
  bool in_class = false;
  size_t class_open = 0;  // index just past "[" or "[^"
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[++i];
      if (n == 'Q') {  // literal run up to \E
        size_t e = p.find("\\E", i + 1);
        size_t stop = e == std::string::npos ? p.size() : e + 2;
        out += '\\';
        out.append(p, i, stop - i);
        i = stop - 1;
      } else if (n == 's') {
        out += in_class ? std::string(kSpaceMembers) : "[" + std::string(kSpaceMembers) + "]";
      } else if (n == 'S') {
        out += in_class ? "\\S\\x{180E}" : "[\\S\\x{180E}]";
      } else {
        out += '\\';
        out += n;
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      class_open = i + 1;
      continue;
    }
    if (in_class && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {  // [:alpha:]
      size_t e = p.find(":]", i + 2);
      size_t stop = e == std::string::npos ? p.size() : e + 2;
      out.append(p, i, stop - i);
      i = stop - 1;
      continue;
    }
    if (in_class && c == ']' && i != class_open) in_class = false;
    out += c;
  }
  return out;
}

}  // namespace

Regex::Regex(const std::string& pattern_in, const std::string& what) : code_(new Code) {
  code_->what = what;
  const std::string pattern = onig_to_pcre(pattern_in);
  int err = 0;
  PCRE2_SIZE off = 0;
  code_->re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                            PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &off, nullptr);
  if (!code_->re) {
    delete code_;
    code_ = nullptr;
    fail("{}: regex does not compile ({}): {}", what, pcre_message(err), pattern_in);
  }
  // JIT is only a speed-up: the interpreter is the fallback if it is unavailable.
  pcre2_jit_compile(code_->re, PCRE2_JIT_COMPLETE);
}

Regex Regex::literal(const std::string& lit, const std::string& what) { return Regex(quote(lit), what); }

Regex::~Regex() {
  if (code_) {
    pcre2_code_free(code_->re);
    delete code_;
  }
}

Regex::Regex(Regex&& o) noexcept : code_(o.code_) { o.code_ = nullptr; }

std::vector<Span> Regex::find_all(std::string_view text) const {
  std::vector<Span> out;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_->re, nullptr);
  if (!md) fail("{}: out of memory for regex match data", code_->what);
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  bool have_prev = false;
  size_t prev_end = 0;
  while (pos <= text.size()) {
    int rc = pcre2_match(code_->re, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
      rc = pcre2_match(code_->re, subject, text.size(), pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      pcre2_match_data_free(md);
      fail("{}: regex match failed: {}", code_->what, pcre_message(rc));
    }
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    size_t s = ov[0], e = ov[1];
    if (e < s) e = s;  // \K can report end before start; treat as empty
    if (s == e) {
      if (!(have_prev && prev_end == s)) out.emplace_back(s, e);
      // Step over one whole character so the next search starts on a boundary.
      size_t next = s + 1;
      while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
      pos = next;
    } else {
      out.emplace_back(s, e);
      pos = e;
    }
    have_prev = true;
    prev_end = e;
  }
  pcre2_match_data_free(md);
  return out;
}

std::string Regex::replace_all(std::string_view text, std::string_view with) const {
  std::string out;
  size_t last = 0;
  for (auto [s, e] : find_all(text)) {
    out.append(text.substr(last, s - last));
    out.append(with);
    last = e;
  }
  out.append(text.substr(last));
  return out;
}

}  // namespace argus::text
