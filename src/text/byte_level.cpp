#include "text/byte_level.h"

#include <unordered_map>

#include "text/utf8.h"

namespace argus::text {
namespace {

struct Tables {
  std::array<std::string, 256> chars;
  std::array<unsigned char, 256> order{};
  std::unordered_map<char32_t, unsigned char> back;

  Tables() {
    int k = 0;
    bool printable[256] = {};
    for (int b = 0; b < 256; ++b)
      printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    for (int b = 0; b < 256; ++b)
      if (printable[b]) set(k++, b, static_cast<char32_t>(b));
    int n = 0;
    for (int b = 0; b < 256; ++b)
      if (!printable[b]) set(k++, b, static_cast<char32_t>(256 + n++));
  }
  void set(int k, int b, char32_t cp) {
    order[k] = static_cast<unsigned char>(b);
    append_utf8(chars[b], cp);
    back[cp] = static_cast<unsigned char>(b);
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::array<std::string, 256>& byte_level_chars() { return tables().chars; }
const std::array<unsigned char, 256>& byte_level_order() { return tables().order; }

std::string to_byte_level(std::string_view bytes) {
  const auto& c = tables().chars;
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += c[b];
  return out;
}

bool from_byte_level(std::string_view token, std::string& out) {
  if (!is_valid_utf8(token)) return false;
  const auto& back = tables().back;
  std::string bytes;
  bytes.reserve(token.size());
  size_t i = 0;
  while (i < token.size()) {
    auto it = back.find(next_codepoint(token, i));
    if (it == back.end()) return false;
    bytes += static_cast<char>(it->second);
  }
  out += bytes;
  return true;
}

}  // namespace argus::text
