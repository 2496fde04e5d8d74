// Base64 for data: URIs: RFC 4648 test vectors, whitespace and optional padding,
// and every malformed form an error rather than garbage bytes.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "util/base64.h"
#include "util/error.h"

using namespace argus;
using argus::util::base64_decode;
using argus::util::base64_encode;

namespace {

std::string dec(std::string_view s) {
  auto v = base64_decode(s);
  return std::string(v.begin(), v.end());
}

std::string enc(const std::string& s) { return base64_encode(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

}  // namespace

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> v[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                   {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [plain, coded] : v) {
    EXPECT_EQ(enc(plain), coded);
    EXPECT_EQ(dec(coded), plain);
  }
}

TEST(Base64, PaddingOptionalAndWhitespaceSkipped) {
  EXPECT_EQ(dec("Zm9vYg"), "foob");
  EXPECT_EQ(dec("Zm9v\r\nYmFy\n"), "foobar");
  EXPECT_EQ(dec(" Zg = = "), "f");
}

TEST(Base64, RoundTripsRandomBytes) {
  std::mt19937 rng(7);
  for (size_t n = 0; n < 300; n += 7) {
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    EXPECT_EQ(base64_decode(base64_encode(b.data(), b.size())), b);
  }
}

TEST(Base64, MalformedInputIsAnError) {
  EXPECT_THROW(base64_decode("Zm9v!"), Error);     // outside the alphabet
  EXPECT_THROW(base64_decode("Z"), Error);         // 6 bits: not a byte
  EXPECT_THROW(base64_decode("Zm9vY"), Error);
  EXPECT_THROW(base64_decode("Zg==="), Error);     // too much padding
  EXPECT_THROW(base64_decode("Zm8=="), Error);     // padding that does not fit
  EXPECT_THROW(base64_decode("Zm9v", 2), Error);   // over the size limit
  EXPECT_EQ(base64_decode("Zm9v", 3).size(), 3u);
}
