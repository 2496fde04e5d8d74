#include <gtest/gtest.h>

#include "io/json_file.h"
#include "util/error.h"

using namespace argus;

TEST(JsonFile, NumberOverflowIsAnErrorNotACrash) {
  // Found by fuzz_json_config: nlohmann throws out_of_range, not parse_error, here.
  try {
    io::parse_json("9E777777777-4", "config.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(io::parse_json("{\"a\": 1e999999}", "x"), Error);
  EXPECT_THROW(io::parse_json("{\"a\": ", "x"), Error);
  EXPECT_EQ(io::parse_json("{\"a\": 2}", "x")["a"], 2);
}

namespace {

std::string get_error(const char* text) {
  try {
    (void)io::get_or<int64_t>(nlohmann::json::parse(text), "hidden_size", 768);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(JsonFile, IntegerKeysAreNeverTruncatedOrWrapped) {
  // 768.5 was read as 768; a count of 2^64 wrapped (and was printed as a negative number).
  EXPECT_NE(get_error(R"({"hidden_size": 768.5})").find("\"hidden_size\" must be an integer, got 768.5"),
            std::string::npos);
  EXPECT_NE(get_error(R"({"hidden_size": 1e30})").find("must be an integer"), std::string::npos);
  EXPECT_NE(get_error(R"({"hidden_size": 18446744073709551615})").find("out of range"), std::string::npos);
  EXPECT_NE(get_error(R"({"hidden_size": "768"})").find("wrong type"), std::string::npos);
  // A narrower type refuses what does not fit it.
  EXPECT_THROW(io::get_or<int>(nlohmann::json::parse(R"({"n": 5000000000})"), "n", 1), Error);
  EXPECT_THROW(io::get_or<uint32_t>(nlohmann::json::parse(R"({"n": -1})"), "n", 1), Error);
  // What is an integer stays accepted, 768.0 included (the integer it writes).
  EXPECT_EQ(io::get_or<int64_t>(nlohmann::json::parse(R"({"hidden_size": 768})"), "hidden_size", 1), 768);
  EXPECT_EQ(io::get_or<int64_t>(nlohmann::json::parse(R"({"hidden_size": 768.0})"), "hidden_size", 1), 768);
  EXPECT_EQ(io::get_or<int>(nlohmann::json::parse(R"({"n": -3})"), "n", 1), -3);
  EXPECT_EQ(io::get_or<double>(nlohmann::json::parse(R"({"eps": 1e-5})"), "eps", 1.0), 1e-5);
}
