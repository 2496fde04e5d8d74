#include <gtest/gtest.h>

#include "util/log_safe.h"

using argus::util::log_safe;

TEST(LogSafe, PrintableTextIsKept) { EXPECT_EQ(log_safe("/v1/chat/completions?x=1"), "/v1/chat/completions?x=1"); }

TEST(LogSafe, ControlBytesQuotesAndNonAsciiAreEscapedOnOneLine) {
  std::string in = "/a\nGET /forged 200\r\"\\\xc3\xa9";
  in.push_back('\0');
  const std::string s = log_safe(in);
  EXPECT_EQ(s, "/a\\x0aGET /forged 200\\x0d\\x22\\x5c\\xc3\\xa9\\x00");
  EXPECT_EQ(s.find('\n'), std::string::npos);
}

TEST(LogSafe, LongTextIsCut) {
  const std::string s = log_safe(std::string(10000, 'a'), 100);
  EXPECT_EQ(s, std::string(100, 'a') + "...");
}
