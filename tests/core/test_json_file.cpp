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
