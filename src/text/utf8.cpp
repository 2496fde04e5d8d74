#include "text/utf8.h"

#include "util/error.h"

namespace argus::text {
namespace {

// Length of the well-formed sequence led by b (0: not a lead byte) and the range allowed for
// its second byte (Unicode Table 3-7), so overlongs and surrogates are rejected.
struct Lead {
  int len;
  unsigned char lo, hi;
};

Lead lead_of(unsigned char b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Number of bytes at s[i] that form a valid (possibly unfinished) prefix of a sequence, and
// whether the sequence is complete.
size_t valid_run(std::string_view s, size_t i, bool& complete) {
  auto b = static_cast<unsigned char>(s[i]);
  Lead l = lead_of(b);
  complete = false;
  if (l.len == 0) return 0;
  if (l.len == 1) {
    complete = true;
    return 1;
  }
  size_t n = 1;
  for (int k = 1; k < l.len; ++k) {
    if (i + n >= s.size()) return n;
    auto c = static_cast<unsigned char>(s[i + n]);
    bool ok = k == 1 ? (c >= l.lo && c <= l.hi) : (c >= 0x80 && c <= 0xBF);
    if (!ok) return n;
    ++n;
  }
  complete = true;
  return n;
}

}  // namespace

bool is_valid_utf8(std::string_view s, size_t* bad_offset) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    bool complete;
    size_t n = valid_run(s, i, complete);
    if (!complete) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += n;
  }
  return true;
}

void require_utf8(std::string_view s, const char* what) {
  size_t bad = 0;
  if (!is_valid_utf8(s, &bad))
    fail("{} is not valid UTF-8 (byte 0x{:02X} at offset {})", what, static_cast<unsigned char>(s[bad]), bad);
}

char32_t next_codepoint(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  int len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
  char32_t cp = b & (0xFF >> (len + 1));
  for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    bool complete;
    size_t n = valid_run(s, i, complete);
    if (complete) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      i += n == 0 ? 1 : n;
    }
  }
  return out;
}

size_t complete_utf8_end(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    bool complete;
    size_t n = valid_run(s, i, complete);
    if (!complete && n > 0 && i + n == s.size()) return i;
    i += n == 0 ? 1 : n;
  }
  return s.size();
}

}  // namespace argus::text
