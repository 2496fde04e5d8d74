#include "util/base64.h"

#include <array>

#include "util/error.h"

namespace argus::util {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kTable = make_table();

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v'; }

}  // namespace

std::vector<uint8_t> base64_decode(std::string_view text, size_t max_bytes) {
  // Strip trailing padding and whitespace, then count the significant characters.
  size_t end = text.size(), pad = 0;
  while (end > 0 && (text[end - 1] == '=' || is_space(text[end - 1]))) {
    if (text[end - 1] == '=') ++pad;
    --end;
  }
  if (pad > 2) fail("invalid base64: {} padding characters", pad);
  size_t digits = 0;
  for (size_t i = 0; i < end; ++i) {
    char c = text[i];
    if (is_space(c)) continue;
    if (kTable[static_cast<uint8_t>(c)] < 0) fail("invalid base64: unexpected character at offset {}", i);
    ++digits;
  }
  if (digits % 4 == 1) fail("invalid base64: {} digits cannot encode whole bytes", digits);
  if (pad > 0 && (digits + pad) % 4 != 0) fail("invalid base64: wrong padding");
  const size_t n = digits / 4 * 3 + (digits % 4 == 0 ? 0 : digits % 4 - 1);
  if (n > max_bytes) fail("base64 data decodes to {} bytes, over the {}-byte limit", n, max_bytes);

  std::vector<uint8_t> out;
  out.reserve(n);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < end; ++i) {
    if (is_space(text[i])) continue;
    acc = (acc << 6) | static_cast<uint32_t>(kTable[static_cast<uint8_t>(text[i])]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::string base64_encode(const uint8_t* data, size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = static_cast<uint32_t>(data[i]) << 16;
    if (i + 1 < n) v |= static_cast<uint32_t>(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? kAlphabet[v & 63] : '=');
  }
  return out;
}

}  // namespace argus::util
